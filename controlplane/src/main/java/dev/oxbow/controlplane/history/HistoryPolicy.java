package dev.oxbow.controlplane.history;

import java.time.Duration;

/**
 * How branch history is kept: a snapshot is taken once {@code snapshotWalBytes} of WAL or
 * {@code snapshotInterval} have passed since the last one (bounding the WAL a restore replays), checked
 * every {@code checkInterval}. {@code archiveTimeout} forces WAL segment switches when busy (0 = off: the
 * archive lives on the same disk as the data, and every restore completes the archive itself first, so
 * forced switches would only fill the disk with mostly empty 16 MB segments).
 */
public record HistoryPolicy(long snapshotWalBytes, Duration snapshotInterval, Duration checkInterval, Duration archiveTimeout) {
    /** Copies smaller than this cost little disk: such branches keep the WAL and time thresholds. */
    public static final long COPY_FLOOR = 256L << 20;

    public static HistoryPolicy defaults() {
        return new HistoryPolicy(64L << 20, Duration.ofMinutes(10), Duration.ofSeconds(30), Duration.ZERO);
    }

    /**
     * Whether a running branch needs a new snapshot, {@code walBytes} of WAL and {@code age} after its last one.
     * A little WAL is written by every checkpoint, so an idle branch needs none however old its last one is.
     */
    public boolean snapshotDue(long walBytes, Duration age) {
        return snapshotDue(walBytes, age, 0);
    }

    /**
     * {@link #snapshotDue(long, Duration)} for a branch whose next snapshot costs {@code copyBytes} of disk: 0 where
     * files are reflinked, the data's size where they are copied (ext4). A snapshot only bounds the WAL a restore
     * replays, and every one in the restore window is kept, so on plain copies one is taken once the WAL since the
     * last is at least as large as the copy it costs, and never for time alone: a 2 GB branch written 64 MB at a time
     * kept a 2 GB copy per 64 MB of WAL (14 GB after one `pgbench -i -s 130`), its disk filling long before its WAL.
     * The replay this allows is then at most about the data's size (~15 s for 2 GB at this machine's redo speed).
     * Below {@link #COPY_FLOOR} a copy is cheap and the usual thresholds hold.
     */
    public boolean snapshotDue(long walBytes, Duration age, long copyBytes) {
        if (copyBytes >= COPY_FLOOR && copyBytes > snapshotWalBytes) {
            return walBytes >= copyBytes;
        }
        return walBytes >= snapshotWalBytes || (age.compareTo(snapshotInterval) >= 0 && walBytes > 1 << 20);
    }
}
