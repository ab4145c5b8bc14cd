package dev.oxbow.storage;

import dev.oxbow.compute.Lsn;

import dev.oxbow.compute.ComputeException;
import dev.oxbow.compute.ProcessIdentity;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.UUID;

/**
 * A branch's snapshots, one directory each under its {@code snapshots} directory, named by LSN so they
 * list in WAL order. A snapshot is built under a temporary name and renamed into place, so a crash
 * never leaves a half-made one that looks complete; leftovers are removed when the store is listed.
 */
public final class SnapshotStore {
    private static final Logger log = LoggerFactory.getLogger(SnapshotStore.class);
    public static final String DIR = "snapshots";
    private static final String META = "snapshot.properties";
    private static final String TMP_PREFIX = ".tmp-";

    private final BranchCloner cloner;
    private final Clock clock;

    public SnapshotStore(BranchCloner cloner, Clock clock) {
        this.cloner = cloner;
        this.clock = clock;
    }

    /** Takes a consistent snapshot of the running cluster in {@code dataDir}; it keeps serving. */
    public Snapshot take(ProcessIdentity owner, Path socketDir, String superuser, Path dataDir, Path snapshotsDir)
            throws ComputeException, IOException, SQLException {
        long start = System.nanoTime();
        owner.containerDirs(snapshotsDir);
        Path tmp = snapshotsDir.resolve(TMP_PREFIX + UUID.randomUUID());
        try {
            switchWal(socketDir, superuser);
            String lsn = cloner.cloneRunning(owner, socketDir, superuser, dataDir, tmp.resolve("pgdata"));
            Instant time = clock.instant();
            String startSegment = WalRange.startSegment(Files.readString(tmp.resolve("pgdata").resolve("backup_label")));
            Snapshot s = publish(tmp, snapshotsDir, lsn, time, startSegment);
            log.info("snapshot taken data_dir={} snapshot={} lsn={} strategy={} in_ms={}", dataDir, s.dir().getFileName(), lsn,
                    cloner.strategyName(), (System.nanoTime() - start) / 1_000_000);
            return s;
        } finally {
            if (Files.exists(tmp)) {
                cloner.delete(tmp);
            }
        }
    }

    /**
     * Starts a new WAL segment, so the snapshot's checkpoint is near its start: the snapshot then holds little
     * WAL of its own (a bucket upload zeroes what follows its LSN, see {@code SnapshotTransfer}) instead of the
     * segment's earlier WAL, which the archive has anyway.
     */
    private static void switchWal(Path socketDir, String superuser) throws SQLException {
        try (java.sql.Connection c = dev.oxbow.compute.PgConnections.openForOxbow(socketDir, "postgres", superuser);
             java.sql.Statement st = c.createStatement()) {
            st.execute("SELECT pg_switch_wal() WHERE NOT pg_is_in_recovery()"); // a standby cannot switch
        }
    }

    /**
     * Keeps a fresh base backup (a clone made by {@link BranchCloner#cloneRunning}, not started yet) as a
     * snapshot: the branch's history then starts exactly at its branch point ({@code lsn}, {@code time}).
     */
    public Snapshot adopt(ProcessIdentity owner, Path baseBackup, String lsn, Instant time, Path snapshotsDir)
            throws ComputeException, IOException {
        long start = System.nanoTime();
        owner.containerDirs(snapshotsDir);
        Path tmp = snapshotsDir.resolve(TMP_PREFIX + UUID.randomUUID());
        try {
            cloner.cloneStopped(owner, baseBackup, tmp.resolve("pgdata"));
            String startSegment = WalRange.startSegment(Files.readString(tmp.resolve("pgdata").resolve("backup_label")));
            Snapshot s = publish(tmp, snapshotsDir, lsn, time, startSegment);
            log.info("snapshot adopted from base backup data_dir={} snapshot={} lsn={} strategy={} in_ms={}", baseBackup,
                    s.dir().getFileName(), lsn, cloner.strategyName(), (System.nanoTime() - start) / 1_000_000);
            return s;
        } finally {
            if (Files.exists(tmp)) {
                cloner.delete(tmp);
            }
        }
    }

    /**
     * Keeps a cleanly stopped cluster (a fresh one, before its first start) as a snapshot at its latest
     * checkpoint: the history of a new root branch then begins before anything was written to it, and
     * costs one copy instead of a backup of the running server.
     */
    public Snapshot adoptStopped(ProcessIdentity owner, Path dataDir, Path snapshotsDir) throws ComputeException, IOException {
        return adoptStopped(owner, dataDir, snapshotsDir, java.util.Optional.empty());
    }

    /**
     * As above; with {@code sameAs}, a never-changing cluster whose copy {@code dataDir} is (its template), the
     * snapshot shares that cluster's files by hard links instead of copying {@code dataDir}
     * ({@link BranchCloner#linkStopped}).
     */
    public Snapshot adoptStopped(ProcessIdentity owner, Path dataDir, Path snapshotsDir, java.util.Optional<Path> sameAs)
            throws ComputeException, IOException {
        // before the cluster's first start: no commit of its own can precede it
        return adoptStopped(owner, dataDir, snapshotsDir, sameAs, clock.instant());
    }

    /**
     * As above, at {@code time} (taken before the cluster's first start). With {@code sameAs} everything is read from
     * that never-changing cluster, so this may run while the copy {@code dataDir} starts and serves.
     */
    public Snapshot adoptStopped(ProcessIdentity owner, Path dataDir, Path snapshotsDir, java.util.Optional<Path> sameAs, Instant time)
            throws ComputeException, IOException {
        long start = System.nanoTime();
        Path stopped = sameAs.orElse(dataDir);
        ControlFile control = ControlFile.read(stopped);
        if (!control.shutDown()) {
            throw new ComputeException("cannot keep " + stopped + " as a stopped snapshot: it was not shut down cleanly (state "
                    + control.state() + ")");
        }
        owner.containerDirs(snapshotsDir);
        Path tmp = snapshotsDir.resolve(TMP_PREFIX + UUID.randomUUID());
        try {
            if (sameAs.isPresent()) {
                cloner.linkStopped(owner, sameAs.get(), tmp.resolve("pgdata"));
            } else {
                cloner.cloneStopped(owner, dataDir, tmp.resolve("pgdata"));
            }
            Snapshot s = publish(tmp, snapshotsDir, control.checkpoint(), time, control.redoSegment(segmentSize(stopped)));
            log.info("snapshot adopted from stopped cluster data_dir={} snapshot={} lsn={} strategy={} in_ms={}", dataDir,
                    s.dir().getFileName(), s.lsn(), sameAs.isPresent() ? "link" : cloner.strategyName(), (System.nanoTime() - start) / 1_000_000);
            return s;
        } finally {
            if (Files.exists(tmp)) {
                cloner.delete(tmp);
            }
        }
    }

    /** WAL segment size, from the size of a segment in pg_wal (every one has the cluster's segment size). */
    static long segmentSize(Path dataDir) throws IOException {
        try (var files = Files.list(dataDir.resolve("pg_wal"))) {
            return files.filter(f -> f.getFileName().toString().matches("[0-9A-F]{24}")).findFirst()
                    .orElseThrow(() -> new IOException("no WAL segment in " + dataDir.resolve("pg_wal"))).toFile().length();
        }
    }

    private static Snapshot publish(Path tmp, Path snapshotsDir, String lsn, Instant time, String startSegment) throws IOException {
        Properties p = new Properties();
        p.setProperty("lsn", lsn);
        p.setProperty("time", time.toString());
        p.setProperty("start_segment", startSegment);
        // Oxbow's own file, readable by nobody else (the directory lets the tenant's user pass, not write)
        Files.createFile(tmp.resolve(META), java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
        try (Writer w = Files.newBufferedWriter(tmp.resolve(META))) {
            p.store(w, "Oxbow snapshot");
        }
        Path target = snapshotsDir.resolve(String.format("%016X", Lsn.parse(lsn)) + "-" + time.toEpochMilli());
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        return new Snapshot(target, lsn, time, startSegment);
    }

    /** The complete snapshots, oldest first; half-made ones a crash left behind are removed. */
    public List<Snapshot> list(Path snapshotsDir) throws IOException {
        List<Snapshot> out = new ArrayList<>();
        if (!Files.isDirectory(snapshotsDir)) {
            return out;
        }
        List<Path> leftovers = new ArrayList<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(snapshotsDir)) {
            for (Path d : dirs) {
                if (d.getFileName().toString().startsWith(TMP_PREFIX)) {
                    leftovers.add(d);
                    continue;
                }
                Path meta = d.resolve(META);
                if (!Files.isRegularFile(meta)) {
                    continue;
                }
                Properties p = new Properties();
                try (Reader r = Files.newBufferedReader(meta)) {
                    p.load(r);
                }
                out.add(new Snapshot(d, p.getProperty("lsn"), Instant.parse(p.getProperty("time")), p.getProperty("start_segment")));
            }
        }
        for (Path l : leftovers) {
            if (Files.getLastModifiedTime(l).toInstant().isBefore(clock.instant().minusSeconds(3600))) {
                cloner.delete(l); // an hour old: no snapshot takes that long, so a crash left it
            }
        }
        out.sort(Comparator.comparingLong(Snapshot::lsnValue));
        return out;
    }

    public void remove(Snapshot snapshot) throws IOException {
        // renamed first, so a crash mid-delete leaves a temporary leftover, not a broken snapshot
        Path doomed = snapshot.dir().resolveSibling(TMP_PREFIX + "gone-" + snapshot.dir().getFileName());
        Files.move(snapshot.dir(), doomed, StandardCopyOption.ATOMIC_MOVE);
        cloner.delete(doomed);
        log.info("snapshot removed snapshot={} lsn={} time={}", snapshot.dir(), snapshot.lsn(), snapshot.time());
    }
}
