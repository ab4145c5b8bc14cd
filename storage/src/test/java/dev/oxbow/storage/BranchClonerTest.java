package dev.oxbow.storage;

import dev.oxbow.compute.Lsn;

import dev.oxbow.compute.ComputeException;
import dev.oxbow.compute.ComputeSpec;
import dev.oxbow.compute.LocalComputeRuntime;
import dev.oxbow.compute.ProcessIdentity;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static dev.oxbow.storage.TestClusters.connect;
import static dev.oxbow.storage.TestClusters.exec;
import static dev.oxbow.storage.TestClusters.longs;
import static dev.oxbow.storage.TestClusters.query;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(120)
class BranchClonerTest {
    private Path root;
    private ProcessIdentity identity;
    private LocalComputeRuntime runtime;
    private BranchCloner cloner;

    @BeforeEach
    void setUp() throws Exception {
        root = TestClusters.scratchDir();
        identity = TestClusters.identity();
        runtime = new LocalComputeRuntime(TestClusters.binaries(), identity);
        cloner = new BranchCloner();
    }

    @AfterEach
    void tearDown() throws Exception {
        runtime.close();
        TestClusters.deleteTree(root);
    }

    @Test
    void clonesARunningClusterUnderConcurrentWrites() throws Exception {
        ComputeSpec parent = TestClusters.spec("ep-parent", 17, root, "parent");
        runtime.initdb("tenant-a", 17, parent.dataDir(), TestClusters.SUPERUSER);
        runtime.start(parent);
        try (Connection c = connect(parent)) {
            exec(c, "CREATE TABLE t (id bigint PRIMARY KEY, pad text)");
            exec(c, "INSERT INTO t SELECT g, repeat('x', 200) FROM generate_series(1, 20000) g");
        }

        // One writer commits rows one by one, noting the WAL flush position after each acknowledgement;
        // another creates and drops tables, so files vanish mid-copy.
        Map<Long, Long> flushedAfterAck = new ConcurrentHashMap<>();
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicReference<Throwable> writerError = new AtomicReference<>();
        CountDownLatch warmedUp = new CountDownLatch(2);
        Thread writer = Thread.ofPlatform().start(() -> {
            try (Connection c = connect(parent); PreparedStatement ps = c.prepareStatement("INSERT INTO t VALUES (?, 'w')");
                 PreparedStatement flushed = c.prepareStatement("SELECT pg_current_wal_flush_lsn()::text")) {
                for (long id = 1_000_000; writing.get(); id++) {
                    ps.setLong(1, id);
                    ps.executeUpdate(); // autocommit: returns once the commit is flushed
                    try (var rs = flushed.executeQuery()) {
                        rs.next();
                        flushedAfterAck.put(id, Lsn.parse(rs.getString(1)));
                    }
                    if (id == 1_000_050) {
                        warmedUp.countDown();
                    }
                }
            } catch (Throwable e) {
                writerError.compareAndSet(null, e);
                warmedUp.countDown();
            }
        });
        Thread churner = Thread.ofPlatform().start(() -> {
            try (Connection c = connect(parent)) {
                for (int i = 0; writing.get(); i++) {
                    exec(c, "CREATE TABLE churn_" + i + " AS SELECT g FROM generate_series(1, 100) g");
                    if (i > 0) {
                        exec(c, "DROP TABLE churn_" + (i - 1));
                    }
                    if (i == 5) {
                        warmedUp.countDown();
                    }
                }
            } catch (Throwable e) {
                writerError.compareAndSet(null, e);
                warmedUp.countDown();
            }
        });

        ComputeSpec child = TestClusters.spec("ep-child", 17, root, "child");
        String lsn;
        Set<Long> committedBeforeCall;
        try {
            assertThat(warmedUp.await(30, TimeUnit.SECONDS)).isTrue();
            assertThat(writerError.get()).isNull();
            committedBeforeCall = new HashSet<>(flushedAfterAck.keySet());
            lsn = cloner.cloneRunning(identity, parent.socketDir(), TestClusters.SUPERUSER, parent.dataDir(), child.dataDir());
        } finally {
            writing.set(false);
            writer.join();
            churner.join();
        }
        assertThat(writerError.get()).isNull();
        assertThat(lsn).matches("[0-9A-F]+/[0-9A-F]+");
        assertThat(cloner.strategyName()).isEqualTo(cloner.strategyFor(root).id());
        // commits flushed at or before the returned LSN: acknowledged before pg_backup_stop returned, or during the WAL copy
        long copyPoint = Lsn.parse(lsn);
        Set<Long> coveredByLsn = new HashSet<>();
        flushedAfterAck.forEach((id, flushed) -> {
            if (flushed <= copyPoint) {
                coveredByLsn.add(id);
            }
        });
        assertThat(coveredByLsn).containsAll(committedBeforeCall).hasSizeGreaterThan(committedBeforeCall.size());
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(child.dataDir()))).isEqualTo("rwx------");
        assertThat(Files.exists(child.dataDir().resolve("backup_label"))).isTrue();
        assertThat(Files.exists(child.dataDir().resolve("postmaster.pid"))).isFalse();
        if (identity.root()) {
            try (var files = Files.walk(child.dataDir())) {
                assertThat(files.filter(p -> !owner(p).equals("postgres")).toList()).isEmpty();
            }
        }

        runtime.start(child);
        try (Connection c = connect(child)) {
            Set<Long> cloned = new HashSet<>(longs(c, "SELECT id FROM t"));
            assertThat(cloned).containsAll(coveredByLsn);
            // a single writer's rows replay in order: the clone holds a gap-free prefix of them
            List<Long> writerRows = longs(c, "SELECT id FROM t WHERE id >= 1000000 ORDER BY id");
            assertThat(writerRows.getLast() - writerRows.getFirst() + 1).isEqualTo(writerRows.size());
            assertThat(query(c, "SELECT pg_current_wal_lsn() >= '" + lsn + "'::pg_lsn")).isEqualTo("t");
            assertThat(query(c, "SELECT count(*) FROM pg_replication_slots")).isEqualTo("0");
        }
        assertThat(Files.exists(child.dataDir().resolve("backup_label"))).as("consumed by recovery").isFalse();

        // the branches are independent from here on
        try (Connection p = connect(parent); Connection c = connect(child)) {
            exec(p, "INSERT INTO t VALUES (-1, 'parent only')");
            exec(c, "INSERT INTO t VALUES (-2, 'child only')");
            assertThat(longs(p, "SELECT id FROM t WHERE id < 0")).containsExactly(-1L);
            assertThat(longs(c, "SELECT id FROM t WHERE id < 0")).containsExactly(-2L);
            assertThat(query(p, "SELECT count(*) FROM pg_replication_slots")).as("temporary slot gone").isEqualTo("0");
        }
    }

    @Test
    void clonesRunningPostgres16() throws Exception {
        ComputeSpec parent = TestClusters.spec("ep-p16", 16, root, "p16");
        runtime.initdb("tenant-a", 16, parent.dataDir(), TestClusters.SUPERUSER);
        runtime.start(parent);
        try (Connection c = connect(parent)) {
            exec(c, "CREATE TABLE t AS SELECT g AS id FROM generate_series(1, 1000) g");
        }
        ComputeSpec child = TestClusters.spec("ep-c16", 16, root, "c16");
        cloner.cloneRunning(identity, parent.socketDir(), TestClusters.SUPERUSER, parent.dataDir(), child.dataDir());
        runtime.start(child);
        try (Connection c = connect(child)) {
            assertThat(query(c, "SELECT count(*) FROM t")).isEqualTo("1000");
            assertThat(query(c, "SELECT version()")).startsWith("PostgreSQL 16.");
        }
    }

    @Test
    void clonesAStoppedClusterAndRefusesARunningOne() throws Exception {
        ComputeSpec parent = TestClusters.spec("ep-s", 17, root, "s");
        runtime.initdb("tenant-a", 17, parent.dataDir(), TestClusters.SUPERUSER);
        runtime.start(parent);
        try (Connection c = connect(parent)) {
            exec(c, "CREATE TABLE t AS SELECT g AS id FROM generate_series(1, 500) g");
        }
        ComputeSpec child = TestClusters.spec("ep-s2", 17, root, "s2");
        assertThatThrownBy(() -> cloner.cloneStopped(identity, parent.dataDir(), child.dataDir()))
                .isInstanceOf(ComputeException.class).hasMessageContaining("still runs");
        runtime.stop("ep-s");

        cloner.cloneStopped(identity, parent.dataDir(), child.dataDir());
        runtime.start(child);
        try (Connection c = connect(child)) {
            assertThat(query(c, "SELECT count(*) FROM t")).isEqualTo("500");
        }
        assertThatThrownBy(() -> cloner.cloneStopped(identity, parent.dataDir(), child.dataDir()))
                .isInstanceOf(ComputeException.class).hasMessageContaining("not empty");
    }

    /** A snapshot of a never-changing cluster (a template) shares its files; a copy started from it changes neither. */
    @Test
    void linksAStoppedClusterThatNeverChangesAndAStartedCopyLeavesTheLinksAlone() throws Exception {
        ComputeSpec pristine = TestClusters.spec("ep-l", 17, root, "l");
        runtime.initdb("tenant-a", 17, pristine.dataDir(), TestClusters.SUPERUSER);
        Path linked = root.resolve("linked/pgdata");
        cloner.linkStopped(identity, pristine.dataDir(), linked);
        Path control = Path.of("global", "pg_control");
        assertThat(Files.getAttribute(linked.resolve(control), "unix:ino")).isEqualTo(Files.getAttribute(pristine.dataDir().resolve(control), "unix:ino"));
        byte[] before = Files.readAllBytes(linked.resolve(control));

        // the cluster that runs is a copy of the pristine one, as a new root is a copy of its template
        ComputeSpec running = TestClusters.spec("ep-l2", 17, root, "l2");
        cloner.cloneStopped(identity, pristine.dataDir(), running.dataDir());
        runtime.start(running);
        try (Connection c = connect(running)) {
            exec(c, "CREATE TABLE t AS SELECT g AS id FROM generate_series(1, 500) g");
            exec(c, "CHECKPOINT");
        }
        runtime.stop("ep-l2");
        assertThat(Files.readAllBytes(linked.resolve(control))).isEqualTo(before);
        assertThatThrownBy(() -> cloner.linkStopped(identity, pristine.dataDir(), linked))
                .isInstanceOf(ComputeException.class).hasMessageContaining("not empty");
    }

    @Test
    void refusesASocketOfAnotherCluster() throws Exception {
        ComputeSpec a = TestClusters.spec("ep-x", 17, root, "x");
        runtime.initdb("tenant-a", 17, a.dataDir(), TestClusters.SUPERUSER);
        runtime.start(a);
        Path other = root.resolve("y/pgdata");
        Files.createDirectories(other);
        Path target = root.resolve("z/pgdata");
        assertThatThrownBy(() -> cloner.cloneRunning(identity, a.socketDir(), TestClusters.SUPERUSER, other, target))
                .isInstanceOf(ComputeException.class).hasMessageContaining("runs " + a.dataDir().toRealPath());
        assertThat(Files.exists(target)).as("partial target removed").isFalse();
    }

    @Test
    void deletesTreesAndToleratesMissingOnes() throws Exception {
        Path dir = root.resolve("gone/a/b");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("f"), "x");
        Files.createSymbolicLink(dir.resolve("link"), root); // the link goes, its target stays
        cloner.delete(root.resolve("gone"));
        assertThat(Files.exists(root.resolve("gone"))).isFalse();
        assertThat(Files.isDirectory(root)).isTrue();
        cloner.delete(root.resolve("gone"));
        assertThatThrownBy(() -> cloner.delete(Path.of("/tmp"))).hasMessageContaining("too close");
    }

    private static String owner(Path p) {
        try {
            return Files.getOwner(p, java.nio.file.LinkOption.NOFOLLOW_LINKS).getName();
        } catch (java.io.IOException e) {
            return "?";
        }
    }
}
