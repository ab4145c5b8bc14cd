package dev.oxbow.storage.bucket;

import dev.oxbow.compute.ProcessIdentity;
import dev.oxbow.storage.Snapshot;
import dev.oxbow.storage.object.ObjectInfo;
import dev.oxbow.storage.object.ObjectStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Snapshots in the bucket, content-addressed: every file is cut into 128 KiB pieces named by their SHA-256,
 * stored once per project ({@code chunks/}), so a piece that did not change since the last snapshot, or that
 * a child branch shares with its parent, costs nothing more. The manifest (the files as lists of pieces, and
 * the snapshot's LSN, time and start segment) is written last: a snapshot without one was never complete,
 * and a kill at any point leaves at most unreferenced pieces, which garbage collection removes. Pieces go up and
 * come down {@link PieceTransfers#IN_FLIGHT} at a time. A manifest lists each file's pieces, whatever their size,
 * so snapshots cut with another piece size (1 MiB before) still restore.
 */
public final class SnapshotTransfer {
    private static final Logger log = LoggerFactory.getLogger(SnapshotTransfer.class);
    /**
     * Sixteen PostgreSQL pages: an UPDATE of a contiguous 1 % of a table dirties the pieces holding the old and the
     * new row versions, their index pages and the visibility map; at 1 MiB that re-sent 4.6 % of the table per
     * snapshot (ObjectStoreBench), at 128 KiB a fraction of it, for eight times the objects (sent in parallel).
     */
    public static final int CHUNK = 128 << 10;
    private static final String SUFFIX = ".manifest";

    private final ObjectStore store;
    /** Chunk keys known to be in the bucket, per project chunk prefix (learned by one listing). */
    private final java.util.Map<String, Set<String>> knownChunks = new java.util.concurrent.ConcurrentHashMap<>();

    public SnapshotTransfer(ObjectStore store) {
        this.store = store;
    }

    /** A snapshot as the bucket has it. */
    public record Remote(String name, String lsn, Instant time, String startSegment) {
        public long lsnValue() {
            return dev.oxbow.compute.Lsn.parse(lsn);
        }
    }

    /** What an upload cost: pieces sent and skipped (already there), bytes sent. */
    public record Uploaded(String name, int chunksSent, int chunksReused, long bytesSent) {}

    private Set<String> chunks(BucketLayout layout) throws IOException {
        Set<String> known = knownChunks.get(layout.chunks());
        if (known == null) {
            known = java.util.concurrent.ConcurrentHashMap.newKeySet();
            for (ObjectInfo o : store.list(layout.chunks())) {
                known.add(o.key());
            }
            knownChunks.put(layout.chunks(), known);
        }
        return known;
    }

    /** Forgets what this process believes is in the bucket (after garbage collection removed chunks). */
    public void forget(BucketLayout layout) {
        knownChunks.remove(layout.chunks());
    }

    public List<Remote> list(BucketLayout layout) throws IOException {
        List<Remote> out = new ArrayList<>();
        for (ObjectInfo o : store.list(layout.snapshots())) {
            if (!o.key().endsWith(SUFFIX)) {
                continue;
            }
            Optional<byte[]> body = store.get(o.key());
            if (body.isPresent()) {
                Manifest m = Manifest.parse(new String(body.get(), StandardCharsets.UTF_8));
                out.add(new Remote(name(layout, o.key()), m.lsn(), m.time(), m.startSegment()));
            }
        }
        out.sort(java.util.Comparator.comparingLong(Remote::lsnValue));
        return out;
    }

    private static String name(BucketLayout layout, String key) {
        return key.substring(layout.snapshots().length(), key.length() - SUFFIX.length());
    }

    public boolean has(BucketLayout layout, Snapshot snapshot) throws IOException {
        return store.exists(layout.snapshots() + snapshot.dir().getFileName() + SUFFIX);
    }

    /** Uploads a local snapshot's pieces the project lacks, then its manifest. */
    public Uploaded upload(BucketLayout layout, Snapshot snapshot) throws IOException {
        long start = System.nanoTime();
        Set<String> known = chunks(layout);
        Path pgdata = snapshot.pgdata();
        List<Manifest.Entry> entries = new ArrayList<>();
        int sent = 0;
        int reused = 0;
        long bytes = 0;
        List<Path> paths;
        try (Stream<Path> walk = Files.walk(pgdata)) {
            paths = walk.sorted().toList();
        }
        MessageDigest sha = sha256();
        byte[] buf = new byte[CHUNK];
        Set<String> sending = new HashSet<>(); // a piece twice in one snapshot (zero pages) goes up once
        try (PieceTransfers transfers = new PieceTransfers(store)) {
            for (Path p : paths) {
                String rel = pgdata.relativize(p).toString();
                String mode = PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
                if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    entries.add(new Manifest.Entry(rel.isEmpty() ? "." : rel, true, 0, mode, List.of()));
                    continue;
                }
                if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    throw new IOException("snapshot " + snapshot.dir() + " holds " + p + ", which is not a file or directory");
                }
                List<String> pieces = new ArrayList<>();
                long size = 0;
                long keep = walBytesToKeep(snapshot, rel, p);
                try (InputStream in = Files.newInputStream(p)) {
                    int n;
                    while ((n = in.readNBytes(buf, 0, CHUNK)) > 0) {
                        if (size + n > keep) {
                            java.util.Arrays.fill(buf, (int) Math.max(0, keep - size), n, (byte) 0);
                        }
                        size += n;
                        sha.reset();
                        sha.update(buf, 0, n);
                        String hash = HexFormat.of().formatHex(sha.digest());
                        String key = layout.chunks() + hash;
                        if (known.contains(key) || !sending.add(key)) {
                            reused++;
                        } else {
                            transfers.put(key, java.util.Arrays.copyOf(buf, n));
                            sent++;
                            bytes += n;
                        }
                        pieces.add(hash);
                    }
                }
                entries.add(new Manifest.Entry(rel, false, size, mode, pieces));
            }
            transfers.awaitPuts();
        }
        known.addAll(sending); // only once every put succeeded: a failed one is sent again next time
        Manifest m = new Manifest(snapshot.lsn(), snapshot.time(), snapshot.startSegment(), entries);
        String name = snapshot.dir().getFileName().toString();
        store.put(layout.snapshots() + name + SUFFIX, m.format().getBytes(StandardCharsets.UTF_8));
        log.info("snapshot uploaded snapshot={} location={} chunks_sent={} chunks_reused={} bytes_sent={} ms={}", name, store.location(),
                sent, reused, bytes, (System.nanoTime() - start) / 1_000_000);
        return new Uploaded(name, sent, reused, bytes);
    }

    /**
     * How many leading bytes of a snapshot's file are kept as they are: all, except for a WAL segment of an
     * online backup (a {@code backup_label} snapshot), whose bytes past the snapshot's LSN are zeroed. Those
     * bytes are recycled old WAL or WAL written after the copy point; recovery of the snapshot never needs them
     * (zeros end its WAL there, as in a fresh segment), and zeroed they are one shared piece instead of 4 MB of
     * new pieces per snapshot. With the segment switch before a snapshot ({@code SnapshotStore.take}) the
     * snapshot's WAL is then little more than its checkpoint and what was written while it was copied.
     */
    static long walBytesToKeep(Snapshot snapshot, String rel, Path file) throws IOException {
        Path name = Path.of(rel).getFileName();
        if (!rel.startsWith("pg_wal/") || rel.indexOf('/', 7) >= 0 || !WalSegment.isName(name.toString())
                || !Files.exists(snapshot.pgdata().resolve("backup_label"))) {
            return Long.MAX_VALUE;
        }
        long segmentSize = Files.size(file);
        if (segmentSize == 0 || Long.bitCount(segmentSize) != 1) {
            return Long.MAX_VALUE;
        }
        long start = WalSegment.parse(name.toString(), segmentSize).startLsn();
        return Math.max(0, snapshot.lsnValue() - start);
    }

    /**
     * Rebuilds a snapshot from the bucket under {@code snapshotsDir} (built under a temporary name and
     * renamed into place, as the local store does) and returns its directory.
     */
    public Path download(BucketLayout layout, String name, Path snapshotsDir, ProcessIdentity owner) throws IOException {
        long start = System.nanoTime();
        byte[] body = store.get(layout.snapshots() + name + SUFFIX)
                .orElseThrow(() -> new IOException("no snapshot " + name + " in " + store.location()));
        Manifest m = Manifest.parse(new String(body, StandardCharsets.UTF_8));
        owner.containerDirs(snapshotsDir);
        Path tmp = snapshotsDir.resolve(".tmp-" + UUID.randomUUID());
        owner.containerDirs(tmp);
        Path pgdata = tmp.resolve("pgdata");
        long bytes = 0;
        MessageDigest sha = sha256();
        List<String> keys = m.entries().stream().flatMap(e -> e.chunks().stream()).map(h -> layout.chunks() + h).toList();
        try (PieceTransfers transfers = new PieceTransfers(store)) {
            PieceTransfers.Prefetch pieces = transfers.prefetch(keys);
            for (Manifest.Entry e : m.entries()) {
                Path p = e.path().equals(".") ? pgdata : pgdata.resolve(e.path()).normalize();
                if (!p.startsWith(pgdata)) {
                    throw new IOException("snapshot manifest " + name + " names a path outside the data directory: " + e.path());
                }
                if (e.directory()) {
                    owner.privateDir(p);
                    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(e.mode()));
                    continue;
                }
                long written = 0;
                try (OutputStream out = Files.newOutputStream(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                    for (String hash : e.chunks()) {
                        byte[] piece = pieces.take();
                        if (piece == null) {
                            throw new IOException("snapshot " + name + " needs chunk " + hash + ", which is missing");
                        }
                        // a piece is trusted only if it is what its name says (the store's own checksums cover the transfer)
                        sha.reset();
                        if (!HexFormat.of().formatHex(sha.digest(piece)).equals(hash)) {
                            throw new IOException("snapshot " + name + ": chunk " + hash + " does not match its checksum");
                        }
                        out.write(piece);
                        written += piece.length;
                    }
                }
                if (written != e.size()) {
                    throw new IOException("snapshot " + name + ": " + e.path() + " rebuilt to " + written + " bytes, the manifest says " + e.size());
                }
                bytes += written;
                Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(e.mode()));
                owner.chown(p);
            }
        }
        java.util.Properties props = new java.util.Properties();
        props.setProperty("lsn", m.lsn());
        props.setProperty("time", m.time().toString());
        props.setProperty("start_segment", m.startSegment());
        Path meta = tmp.resolve("snapshot.properties");
        try (var w = Files.newBufferedWriter(meta)) {
            props.store(w, "Oxbow snapshot (from " + store.location() + ")");
        }
        Files.setPosixFilePermissions(meta, PosixFilePermissions.fromString("rw-------"));
        Path target = snapshotsDir.resolve(name);
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        log.info("snapshot downloaded snapshot={} location={} bytes={} ms={}", name, store.location(), bytes, (System.nanoTime() - start) / 1_000_000);
        return target;
    }

    /** Every chunk key the project's manifests reference (for garbage collection). */
    public Set<String> referencedChunks(String projectUid) throws IOException {
        Set<String> out = new HashSet<>();
        String project = BucketLayout.project(projectUid);
        for (ObjectInfo o : store.list(project + "branches/")) {
            if (o.key().endsWith(SUFFIX) && o.key().contains("/snapshots/")) {
                store.get(o.key()).ifPresent(b -> Manifest.parse(new String(b, StandardCharsets.UTF_8)).entries()
                        .forEach(e -> e.chunks().forEach(h -> out.add(project + "chunks/" + h))));
            }
        }
        return out;
    }

    public void delete(BucketLayout layout, String name) throws IOException {
        store.delete(List.of(layout.snapshots() + name + SUFFIX));
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
