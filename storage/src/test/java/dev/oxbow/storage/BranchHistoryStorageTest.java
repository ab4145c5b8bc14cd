package dev.oxbow.storage;

import dev.oxbow.compute.Lsn;

import dev.oxbow.compute.ComputeSpec;
import dev.oxbow.compute.LocalComputeRuntime;
import dev.oxbow.compute.ProcessIdentity;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.oxbow.storage.TestClusters.connect;
import static dev.oxbow.storage.TestClusters.exec;
import static dev.oxbow.storage.TestClusters.longs;
import static dev.oxbow.storage.TestClusters.query;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Snapshots, the WAL archive and recovery to an LSN on real PostgreSQL servers. */
@Timeout(180)
class BranchHistoryStorageTest {
    private Path root;
    private ProcessIdentity identity;
    private LocalComputeRuntime runtime;
    private BranchCloner cloner;
    private SnapshotStore snapshots;

    @BeforeEach
    void setUp() throws Exception {
        root = TestClusters.scratchDir();
        identity = TestClusters.identity();
        runtime = new LocalComputeRuntime(TestClusters.binaries(), identity);
        cloner = new BranchCloner();
        snapshots = new SnapshotStore(cloner, Clock.systemUTC());
    }

    @AfterEach
    void tearDown() throws Exception {
        runtime.close();
        TestClusters.deleteTree(root);
    }

    /** A cluster whose archiver fills {@code root/name/wal}. */
    private ComputeSpec archivingCluster(String uid, String name) throws Exception {
        ComputeSpec plain = TestClusters.spec(uid, 17, root, name);
        runtime.initdb("tenant-a", 17, plain.dataDir(), TestClusters.SUPERUSER);
        identity.privateDir(plain.dataDir().resolveSibling(WalArchive.DIR));
        ComputeSpec spec = new ComputeSpec(uid, "tenant-a", 17, plain.dataDir(), plain.socketDir(), WalArchive.settings(Duration.ofSeconds(60)));
        runtime.start(spec);
        return spec;
    }

    @Test
    void recoversToAnLsnBetweenSnapshotsAndPrunesWhatIsNoLongerNeeded() throws Exception {
        ComputeSpec source = archivingCluster("ep-hist", "hist");
        Path archive = source.dataDir().resolveSibling(WalArchive.DIR);
        Path snapshotsDir = source.dataDir().resolveSibling(SnapshotStore.DIR);
        String lsnAfterFirst;
        try (Connection c = connect(source)) {
            exec(c, "CREATE TABLE t (id int primary key); INSERT INTO t VALUES (1)");
        }
        Snapshot first = snapshots.take(identity, source.socketDir(), TestClusters.SUPERUSER, source.dataDir(), snapshotsDir);
        try (Connection c = connect(source)) {
            exec(c, "INSERT INTO t VALUES (2)");
            lsnAfterFirst = query(c, "SELECT pg_current_wal_insert_lsn()::text");
            exec(c, "INSERT INTO t SELECT g FROM generate_series(3, 20000) g"); // spans WAL segments
            String flushed = WalArchive.flush(c, archive, Duration.ofSeconds(30));
            assertThat(Lsn.parse(flushed)).isGreaterThan(Lsn.parse(lsnAfterFirst));
        }
        Snapshot second = snapshots.take(identity, source.socketDir(), TestClusters.SUPERUSER, source.dataDir(), snapshotsDir);
        assertThat(snapshots.list(snapshotsDir)).extracting(Snapshot::lsn).containsExactly(first.lsn(), second.lsn());
        assertThat(second.startSegment()).isGreaterThan(first.startSegment());

        // the first snapshot plus archived WAL, stopped right after row 2 was committed
        Path restored = root.resolve("restored").resolve("pgdata");
        PointInTimeRecovery recovery = new PointInTimeRecovery(cloner);
        recovery.prepare(identity, first, restored);
        identity.privateDir(restored.resolveSibling(WalArchive.DIR));
        Map<String, String> settings = new LinkedHashMap<>(WalArchive.settings(Duration.ofSeconds(60)));
        settings.putAll(PointInTimeRecovery.settings(archive, new PointInTimeRecovery.Target(lsnAfterFirst, null)));
        ComputeSpec rs = new ComputeSpec("ep-restored", "tenant-a", 17, restored, root.resolve("s-restored"), settings);
        runtime.start(rs);
        Connection c = awaitPromoted(rs);
        try (c) {
            assertThat(longs(c, "SELECT id FROM t ORDER BY id")).containsExactly(1L, 2L);
            exec(c, "INSERT INTO t VALUES (99)"); // writable: promoted onto a new timeline
        }
        assertThat(PointInTimeRecovery.switchPoint(restored)).hasValueSatisfying(l -> assertThat(Lsn.parse(l)).isGreaterThanOrEqualTo(Lsn.parse(lsnAfterFirst)));

        // pruning keeps the segments the second snapshot needs and drops the older ones
        long before;
        try (var files = Files.list(archive)) {
            before = files.filter(f -> f.getFileName().toString().compareTo(second.startSegment()) < 0).count();
        }
        assertThat(before).isPositive();
        assertThat(WalArchive.prune(archive, second.startSegment())).isPositive();
        try (var files = Files.list(archive)) {
            List<String> left = files.map(f -> f.getFileName().toString().replace(".zst", "")).filter(n -> n.length() == 24).toList();
            assertThat(left).isNotEmpty().allMatch(n -> n.compareTo(second.startSegment()) >= 0);
        }
        snapshots.remove(first);
        assertThat(snapshots.list(snapshotsDir)).extracting(Snapshot::lsn).containsExactly(second.lsn());
    }

    @Test
    void aFreshClusterKeptBeforeItsFirstStartIsASnapshotEveryLaterPointRecoversFrom() throws Exception {
        ComputeSpec plain = TestClusters.spec("ep-fresh", 17, root, "fresh");
        runtime.initdb("tenant-a", 17, plain.dataDir(), TestClusters.SUPERUSER);
        Path archive = plain.dataDir().resolveSibling(WalArchive.DIR);
        Path snapshotsDir = plain.dataDir().resolveSibling(SnapshotStore.DIR);
        Snapshot fresh = snapshots.adoptStopped(identity, plain.dataDir(), snapshotsDir);
        assertThat(fresh.lsn()).isEqualTo(ControlFile.read(plain.dataDir()).checkpoint());
        assertThat(snapshots.list(snapshotsDir)).containsExactly(fresh);

        identity.privateDir(archive);
        ComputeSpec source = new ComputeSpec("ep-fresh", "tenant-a", 17, plain.dataDir(), plain.socketDir(), WalArchive.settings(Duration.ofSeconds(60)));
        runtime.start(source);
        String afterRow1;
        try (Connection c = connect(source)) {
            assertThat(Lsn.parse(query(c, "SELECT pg_current_wal_insert_lsn()::text"))).isGreaterThan(Lsn.parse(fresh.lsn()));
            exec(c, "CREATE TABLE t (id int primary key); INSERT INTO t VALUES (1)");
            afterRow1 = query(c, "SELECT pg_current_wal_insert_lsn()::text");
            exec(c, "INSERT INTO t VALUES (2)");
            WalArchive.flush(c, archive, Duration.ofSeconds(30));
        }
        // a running cluster is no stopped snapshot
        assertThatThrownBy(() -> snapshots.adoptStopped(identity, plain.dataDir(), snapshotsDir))
                .isInstanceOf(dev.oxbow.compute.ComputeException.class).hasMessageContaining("not shut down cleanly");

        Path restored = root.resolve("restored-fresh").resolve("pgdata");
        new PointInTimeRecovery(cloner).prepare(identity, fresh, restored);
        identity.privateDir(restored.resolveSibling(WalArchive.DIR));
        Map<String, String> settings = new LinkedHashMap<>(WalArchive.settings(Duration.ofSeconds(60)));
        settings.putAll(PointInTimeRecovery.settings(archive, new PointInTimeRecovery.Target(afterRow1, null)));
        ComputeSpec rs = new ComputeSpec("ep-restored-fresh", "tenant-a", 17, restored, root.resolve("s-restored-fresh"), settings);
        runtime.start(rs);
        try (Connection c = awaitPromoted(rs)) {
            assertThat(longs(c, "SELECT id FROM t ORDER BY id")).containsExactly(1L);
        }
    }

    @Test
    void halfMadeSnapshotsAreNeverListedAndOldLeftoversAreRemoved() throws Exception {
        Path dir = root.resolve("snaps");
        Path leftover = dir.resolve(".tmp-crashed");
        Files.createDirectories(leftover.resolve("pgdata"));
        Path fresh = dir.resolve(".tmp-in-progress");
        Files.createDirectories(fresh);
        Files.setLastModifiedTime(leftover, FileTime.from(Instant.now().minusSeconds(7200)));
        Files.createDirectories(dir.resolve("0000000001000000-1")); // no metadata file: incomplete
        assertThat(snapshots.list(dir)).isEmpty();
        assertThat(leftover).doesNotExist();
        assertThat(fresh).exists(); // may be a snapshot being taken right now
    }

    private static Connection awaitPromoted(ComputeSpec spec) throws Exception {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (true) {
            try {
                return connect(spec);
            } catch (java.sql.SQLException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(50);
            }
        }
    }
}
