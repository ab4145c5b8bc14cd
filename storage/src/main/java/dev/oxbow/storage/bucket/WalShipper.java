package dev.oxbow.storage.bucket;

import dev.oxbow.compute.Lsn;
import dev.oxbow.storage.object.ObjectInfo;
import dev.oxbow.storage.object.ObjectStore;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.ByteBuffer;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Ships one branch's WAL to the bucket, in two streams. Completed segments (and timeline history files) go
 * up from the branch's local archive, which PostgreSQL's archiver fills (zstd-compressed), oldest first.
 * The segment being written goes up as byte ranges read from {@code pg_wal} up to the server's flush position
 * ({@link #shipTail}), so a commit reaches the bucket within one shipping interval without forcing segment
 * switches. While the bucket is unreachable nothing is lost: the archive keeps the segments (and local
 * pruning keeps what is unshipped, see {@link #firstUnshipped}), and the next call ships the backlog.
 * One thread calls a shipper at a time; {@link #status} may be read from any.
 */
public final class WalShipper {
    private static final Pattern ARCHIVE_FILE = Pattern.compile("[0-9A-F]{24}(\\.partial)?(\\.zst)?|[0-9A-F]{8}\\.history");

    /** How far the bucket holds the branch's WAL, and what is still waiting. */
    public record Status(String lastShippedLsn, Instant lastShippedAt, int backlogFiles, long bucketBytes, String lastError,
                         Instant failingSince) {
        public boolean healthy() {
            return lastError == null;
        }
    }

    private final ObjectStore store;
    private final BucketLayout layout;
    private final long segmentSize;
    private final Clock clock;
    /** Names in the bucket's {@code wal/}; read by a {@link WalReceiver} on its own thread too. */
    private final Set<String> shipped = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private boolean listed;
    private long bucketBytes;
    private long shippedLsn;
    private long tailShippedLsn;
    private String tailTimeline = "";
    private Instant shippedAt;
    private volatile Status status;

    public WalShipper(ObjectStore store, BucketLayout layout, long segmentSize, Clock clock) {
        this.store = store;
        this.layout = layout;
        this.segmentSize = segmentSize;
        this.clock = clock;
        this.status = new Status(null, null, 0, 0, null, null);
    }

    public Status status() {
        return status;
    }

    public BucketLayout layout() {
        return layout;
    }

    /** Whether the segment is in the bucket whole (from the archive): its tail ranges are not needed. */
    public boolean holdsWhole(String segment) {
        return shipped.contains(segment + ".zst") || shipped.contains(segment);
    }

    /** Learns what the bucket already holds (once; after a restart of Oxbow nothing is uploaded twice). */
    private void ensureListed() throws IOException {
        if (listed) {
            return;
        }
        for (ObjectInfo o : store.list(layout.wal())) {
            String name = o.key().substring(layout.wal().length());
            shipped.add(name);
            bucketBytes += o.size();
            noteShipped(name);
        }
        listed = true;
    }

    private void noteShipped(String name) {
        if (WalSegment.isName(name.substring(0, Math.min(24, name.length()))) && !name.contains(".partial")) {
            shippedLsn = Math.max(shippedLsn, WalSegment.parse(name.substring(0, 24), segmentSize).endLsn());
        }
    }

    /**
     * Uploads the archive's files the bucket lacks, oldest first, stopping at the first failure (so the
     * bucket never holds a segment with an unshipped gap before it). Returns how many went up.
     */
    public int shipArchive(Path archiveDir) throws IOException {
        try {
            ensureListed();
            int sent = 0;
            for (String name : pending(archiveDir)) {
                Path f = archiveDir.resolve(name);
                long size;
                try {
                    size = Files.size(f);
                    store.put(layout.wal() + name, f);
                } catch (NoSuchFileException pruned) {
                    continue;
                }
                shipped.add(name);
                bucketBytes += size;
                noteShipped(name);
                shippedAt = clock.instant();
                sent++;
                if (name.length() >= 24 && WalSegment.isName(name.substring(0, 24))) {
                    dropTail(name.substring(0, 24));
                }
            }
            succeeded(archiveDir);
            return sent;
        } catch (IOException e) {
            failed(archiveDir, e);
            throw e;
        }
    }

    /** The byte ranges of a segment now in the bucket whole are no longer needed. */
    private void dropTail(String segment) throws IOException {
        List<String> keys = store.list(layout.walTail() + segment + "/").stream().map(ObjectInfo::key).toList();
        if (!keys.isEmpty()) {
            store.delete(keys);
        }
    }

    /** Archive files not in the bucket yet, in name (WAL) order; temporaries of the archiver are skipped. */
    private List<String> pending(Path archiveDir) throws IOException {
        List<String> names = new ArrayList<>();
        if (!Files.isDirectory(archiveDir)) {
            return names;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(archiveDir)) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                if (ARCHIVE_FILE.matcher(name).matches() && !shipped.contains(name)) {
                    names.add(name);
                }
            }
        }
        names.sort(null);
        return names;
    }

    /**
     * The oldest archived segment not yet in the bucket (empty when all are): local pruning must keep it
     * and everything after it.
     */
    public java.util.Optional<String> firstUnshipped(Path archiveDir) throws IOException {
        if (!listed) {
            return pending(archiveDir).stream().filter(n -> n.length() >= 24 && WalSegment.isName(n.substring(0, 24))).findFirst()
                    .map(n -> n.substring(0, 24)).or(() -> java.util.Optional.of("000000000000000000000000"));
        }
        return pending(archiveDir).stream().filter(n -> WalSegment.isName(n.substring(0, Math.min(24, n.length())))).findFirst()
                .map(n -> n.substring(0, 24));
    }

    /**
     * Uploads the WAL the server has flushed since the last call, read from {@code pgWal}: the part of the
     * segment being written (and the end of the previous one, if it is not in the bucket whole yet).
     */
    public void shipTail(Path pgWal, String timeline, long flushLsn) throws IOException {
        try {
            ensureListed();
            WalSegment current = WalSegment.containing(timeline, Math.max(0, flushLsn - 1), segmentSize);
            // after a restore the branch writes a new timeline, possibly at lower positions: start afresh
            long from = timeline.equals(tailTimeline) ? Math.max(tailShippedLsn, current.startLsn() - segmentSize) : current.startLsn();
            while (from < flushLsn) {
                WalSegment seg = WalSegment.containing(timeline, from, segmentSize);
                long to = Math.min(flushLsn, seg.endLsn());
                if (shipped.contains(seg.name() + ".zst") || shipped.contains(seg.name())) {
                    from = seg.endLsn();
                    continue;
                }
                byte[] bytes = read(pgWal.resolve(seg.name()), from - seg.startLsn(), (int) (to - from));
                if (bytes == null) {
                    from = seg.endLsn(); // recycled: the archive has it
                    continue;
                }
                store.put(layout.walTail() + seg.name() + "/" + String.format("%08X-%08X", from - seg.startLsn(), to - seg.startLsn()), bytes);
                bucketBytes += bytes.length;
                from = to;
            }
            if (flushLsn != tailShippedLsn || !timeline.equals(tailTimeline)) {
                tailShippedLsn = flushLsn;
                tailTimeline = timeline;
                shippedAt = clock.instant();
                shippedLsn = flushLsn;
            }
            succeeded(null);
        } catch (IOException e) {
            failed(null, e);
            throw e;
        }
    }

    /** The server's WAL flush position and its timeline (a primary's; a standby has no flush position). */
    public record FlushPosition(String timeline, long lsn) {}

    public static FlushPosition flushPosition(java.sql.Connection c) throws java.sql.SQLException {
        try (var st = c.createStatement(); var rs = st.executeQuery(
                "SELECT substr(pg_walfile_name(l), 1, 8), l::text FROM pg_current_wal_flush_lsn() l")) {
            rs.next();
            return new FlushPosition(rs.getString(1), Lsn.parse(rs.getString(2)));
        }
    }

    private static byte[] read(Path file, long offset, int length) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer buf = ByteBuffer.allocate(length);
            while (buf.hasRemaining()) {
                if (ch.read(buf, offset + buf.position()) < 0) {
                    throw new IOException(file + " is shorter than the flushed WAL");
                }
            }
            return buf.array();
        } catch (NoSuchFileException gone) {
            return null;
        }
    }

    private void succeeded(Path archiveDir) throws IOException {
        Status s = status;
        int backlog = archiveDir == null ? s.backlogFiles() : pending(archiveDir).size();
        status = new Status(shippedLsn == 0 ? s.lastShippedLsn() : Lsn.format(shippedLsn), shippedAt, backlog, bucketBytes, null, null);
    }

    private void failed(Path archiveDir, IOException e) {
        Status s = status;
        int backlog = s.backlogFiles();
        if (archiveDir != null) {
            try {
                backlog = pending(archiveDir).size();
            } catch (IOException ignored) {
                // keep the last count
            }
        }
        status = new Status(s.lastShippedLsn(), s.lastShippedAt(), backlog, bucketBytes, e.getMessage(),
                s.failingSince() == null ? clock.instant() : s.failingSince());
    }

}
