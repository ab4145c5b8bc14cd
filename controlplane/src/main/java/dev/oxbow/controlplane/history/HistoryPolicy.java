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
    public static HistoryPolicy defaults() {
        return new HistoryPolicy(64L << 20, Duration.ofMinutes(10), Duration.ofSeconds(30), Duration.ZERO);
    }

    /**
     * Whether a running branch needs a new snapshot, {@code walBytes} of WAL and {@code age} after its last one.
     * A little WAL is written by every checkpoint, so an idle branch needs none however old its last one is.
     */
    public boolean snapshotDue(long walBytes, Duration age) {
        return walBytes >= snapshotWalBytes || (age.compareTo(snapshotInterval) >= 0 && walBytes > 1 << 20);
    }
}
