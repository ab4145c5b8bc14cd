package dev.oxbow.storage.bucket;

import dev.oxbow.compute.ProcessIdentity;
import dev.oxbow.storage.object.ObjectInfo;
import dev.oxbow.storage.object.ObjectStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Brings a branch's WAL back from the bucket into a local archive directory, for a recovery that replays
 * it: every history file, every segment from {@code fromSegment}'s position on, and the segment that was
 * being written, rebuilt from its shipped byte ranges (contiguous from its start) and zero-padded to the
 * segment size; recovery reads it up to the last complete record and ends there.
 */
public final class WalFetcher {
    private static final Logger log = LoggerFactory.getLogger(WalFetcher.class);

    private final ObjectStore store;

    public WalFetcher(ObjectStore store) {
        this.store = store;
    }

    /** Returns the number of files written into {@code archiveDir}; files already there are kept. */
    public int fetch(BucketLayout layout, String fromSegment, long segmentSize, Path archiveDir, ProcessIdentity owner) throws IOException {
        return fetch(layout, fromSegment, segmentSize, archiveDir, owner, true);
    }

    /** As above; without {@code withTail} the segment being written is not rebuilt (whole segments only). */
    public int fetch(BucketLayout layout, String fromSegment, long segmentSize, Path archiveDir, ProcessIdentity owner, boolean withTail)
            throws IOException {
        String fromPosition = fromSegment.substring(8, 24);
        int fetched = 0;
        java.util.Set<String> whole = new java.util.HashSet<>();
        for (ObjectInfo o : store.list(layout.wal())) {
            String name = o.key().substring(layout.wal().length());
            boolean history = name.endsWith(".history");
            boolean segment = name.length() >= 24 && WalSegment.isName(name.substring(0, 24)) && !name.contains(".partial");
            if (segment) {
                whole.add(name.substring(0, 24));
            }
            if (!history && !(segment && name.substring(8, 24).compareTo(fromPosition) >= 0)) {
                continue;
            }
            Path target = archiveDir.resolve(name);
            if (Files.exists(target)) {
                continue;
            }
            store.download(o.key(), target);
            owner.chown(target);
            fetched++;
        }
        if (!withTail) {
            return fetched;
        }
        Map<String, List<ObjectInfo>> tails = new TreeMap<>();
        for (ObjectInfo o : store.list(layout.walTail())) {
            String rest = o.key().substring(layout.walTail().length());
            int slash = rest.indexOf('/');
            if (slash == 24 && WalSegment.isName(rest.substring(0, 24))) {
                tails.computeIfAbsent(rest.substring(0, 24), k -> new ArrayList<>()).add(o);
            }
        }
        for (var e : tails.entrySet()) {
            String segment = e.getKey();
            if (whole.contains(segment) || segment.substring(8, 24).compareTo(fromPosition) < 0
                    || Files.exists(archiveDir.resolve(segment)) || Files.exists(archiveDir.resolve(segment + ".zst"))) {
                continue;
            }
            Optional<Long> length = assemble(e.getValue(), segmentSize, archiveDir.resolve(segment));
            if (length.isPresent()) {
                owner.chown(archiveDir.resolve(segment));
                fetched++;
                log.info("wal segment rebuilt from shipped ranges segment={} bytes={}", segment, length.get());
            }
        }
        return fetched;
    }

    /** Writes the ranges contiguous from offset 0 into a zero-padded segment; empty if none starts at 0. */
    private Optional<Long> assemble(List<ObjectInfo> pieces, long segmentSize, Path target) throws IOException {
        List<long[]> ranges = new ArrayList<>();
        for (ObjectInfo p : pieces) {
            String range = p.key().substring(p.key().lastIndexOf('/') + 1);
            ranges.add(new long[] {Long.parseLong(range.substring(0, 8), 16), Long.parseLong(range.substring(9), 16), ranges.size()});
        }
        ranges.sort((a, b) -> Long.compare(a[0], b[0]));
        Path tmp = target.resolveSibling(target.getFileName() + ".oxbow-tmp");
        long end = 0;
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            for (long[] r : ranges) {
                if (r[0] > end) {
                    break; // a gap: what follows cannot be replayed
                }
                if (r[1] <= end) {
                    continue;
                }
                byte[] bytes = store.get(pieces.get((int) r[2]).key()).orElseThrow(() -> new IOException("WAL range vanished while fetched"));
                ByteBuffer buf = ByteBuffer.wrap(bytes, (int) (end - r[0]), (int) (r[1] - end));
                while (buf.hasRemaining()) {
                    ch.write(buf, end + (buf.position() - (end - r[0])));
                }
                end = r[1];
            }
            if (end == 0) {
                return Optional.empty();
            }
            if (end < segmentSize) {
                ch.write(ByteBuffer.allocate(1), segmentSize - 1); // zero-padded to the full size recovery expects
            }
            ch.force(true);
        } finally {
            if (end == 0) {
                Files.deleteIfExists(tmp);
            }
        }
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        return Optional.of(end);
    }
}
