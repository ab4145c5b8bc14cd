package dev.oxbow.storage;

import dev.oxbow.compute.Lsn;

import dev.oxbow.compute.ComputeSpec;
import dev.oxbow.compute.LocalComputeRuntime;
import dev.oxbow.compute.ProcessIdentity;
import dev.oxbow.storage.bucket.BucketLayout;
import dev.oxbow.storage.bucket.SnapshotTransfer;
import dev.oxbow.storage.bucket.WalFetcher;
import dev.oxbow.storage.bucket.WalReceiver;
import dev.oxbow.storage.bucket.WalSegment;
import dev.oxbow.storage.bucket.WalShipper;
import dev.oxbow.storage.object.ObjectInfo;
import dev.oxbow.storage.object.ObjectStore;
import dev.oxbow.storage.object.S3ObjectStore;
import dev.oxbow.storage.object.S3Settings;
import dev.oxbow.storage.object.TestS3Server;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static dev.oxbow.storage.TestClusters.connect;
import static dev.oxbow.storage.TestClusters.exec;
import static dev.oxbow.storage.TestClusters.longs;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A branch's history in a real S3 server (S3Proxy, reached through the AWS SDK): snapshots and WAL shipped,
 * everything local deleted, and the data rebuilt from the bucket alone on a real PostgreSQL server.
 */
@Timeout(240)
class BucketHistoryStorageTest {
    private static final long SEGMENT = 4L << 20;

    private Path root;
    private ProcessIdentity identity;
    private LocalComputeRuntime runtime;
    private BranchCloner cloner;
    private SnapshotStore snapshots;
    private TestS3Server server;
    private ObjectStore bucket;
    private final BucketLayout layout = new BucketLayout("prj-1", "br-1");

    @BeforeEach
    void setUp() throws Exception {
        root = TestClusters.scratchDir();
        identity = TestClusters.identity();
        runtime = new LocalComputeRuntime(TestClusters.binaries(), identity);
        cloner = new BranchCloner();
        snapshots = new SnapshotStore(cloner, Clock.systemUTC());
        server = TestS3Server.start(Files.createDirectories(root.resolve("s3")), "history");
        bucket = new S3ObjectStore(S3Settings.of(URI.create("s3://history/oxbow"), server.env()));
    }

    @AfterEach
    void tearDown() throws Exception {
        runtime.close();
        bucket.close();
        server.close();
        TestClusters.deleteTree(root);
    }

    private ComputeSpec archivingCluster(String uid, String name) throws Exception {
        ComputeSpec plain = TestClusters.spec(uid, 17, root, name);
        runtime.initdb("tenant-a", 17, plain.dataDir(), TestClusters.SUPERUSER);
        identity.privateDir(plain.dataDir().resolveSibling(WalArchive.DIR));
        ComputeSpec spec = new ComputeSpec(uid, "tenant-a", 17, plain.dataDir(), plain.socketDir(), WalArchive.settings(Duration.ofSeconds(60)));
        runtime.start(spec);
        return spec;
    }

    private static void ship(WalShipper shipper, ComputeSpec spec, Connection c) throws Exception {
        shipper.shipArchive(spec.dataDir().resolveSibling(WalArchive.DIR));
        WalShipper.FlushPosition at = WalShipper.flushPosition(c);
        shipper.shipTail(spec.dataDir().resolve("pg_wal"), at.timeline(), at.lsn());
    }

    @Test
    void aBranchComesBackFromTheBucketAloneWithTheCommitsOnlyTheTailHeld() throws Exception {
        ComputeSpec source = archivingCluster("ep-b1", "b1");
        WalShipper shipper = new WalShipper(bucket, layout, SEGMENT, Clock.systemUTC());
        SnapshotTransfer transfer = new SnapshotTransfer(bucket);
        try (Connection c = connect(source)) {
            exec(c, "CREATE TABLE t (id int primary key, pad text)");
            exec(c, "INSERT INTO t SELECT g, repeat('x', 200) FROM generate_series(1, 1000) g");
        }
        Snapshot snap = snapshots.take(identity, source.socketDir(), TestClusters.SUPERUSER, source.dataDir(), source.dataDir().resolveSibling(SnapshotStore.DIR));
        SnapshotTransfer.Uploaded first = transfer.upload(layout, snap);
        assertThat(first.chunksSent()).isPositive();
        try (Connection c = connect(source)) {
            exec(c, "INSERT INTO t SELECT g, repeat('y', 200) FROM generate_series(1001, 30000) g"); // several segments
            WalArchive.flush(c, source.dataDir().resolveSibling(WalArchive.DIR), Duration.ofSeconds(30));
            ship(shipper, source, c);
            // committed after the last segment switch: only the shipped tail of pg_wal holds it
            exec(c, "INSERT INTO t VALUES (30001, 'tail')");
            ship(shipper, source, c);
            // continuous shipping: an asynchronous receiver puts a commit without any shipping pass
            WalShipper.FlushPosition at = WalShipper.flushPosition(c);
            try (WalReceiver receiver = WalReceiver.startAsynchronous(bucket, layout, SEGMENT, Clock.systemUTC(),
                    dev.oxbow.compute.PgConnections.openForReplication(source.socketDir(), TestClusters.SUPERUSER, WalReceiver.APPLICATION_NAME),
                    at.timeline(), WalSegment.containing(at.timeline(), at.lsn(), SEGMENT).startLsn(), Duration.ofMillis(250), shipper::holdsWhole)) {
                assertThat(receiver.synchronous()).isFalse();
                exec(c, "INSERT INTO t VALUES (30002, 'streamed')");
                long committed = WalShipper.flushPosition(c).lsn();
                while (receiver.status().flushedLsn() == null || Lsn.parse(receiver.status().flushedLsn()) < committed) {
                    assertThat(receiver.running()).as("receiver ended: %s", receiver.status()).isTrue();
                    Thread.sleep(20);
                }
                assertThat(longs(c, "SELECT count(*) FROM pg_stat_replication WHERE application_name = 'oxbow_wal_receiver' AND sync_state = 'async'"))
                        .containsExactly(1L);
            }
        }
        assertThat(shipper.status().healthy()).isTrue();
        assertThat(shipper.status().backlogFiles()).isZero();
        assertThat(bucket.list(layout.walTail())).isNotEmpty();

        // a second snapshot of barely changed data reuses almost every piece
        Snapshot snap2 = snapshots.take(identity, source.socketDir(), TestClusters.SUPERUSER, source.dataDir(), source.dataDir().resolveSibling(SnapshotStore.DIR));
        SnapshotTransfer.Uploaded second = new SnapshotTransfer(bucket).upload(layout, snap2);
        assertThat(second.chunksReused()).isPositive();

        runtime.close(); // the machine is gone
        runtime = new LocalComputeRuntime(TestClusters.binaries(), identity);
        TestClusters.deleteTree(source.dataDir().getParent());

        assertThat(restore("b1-restored", transfer.list(layout).get(0).name()))
                .hasSize(30002).endsWith(30002L);
    }

    /** Rebuilds the branch from the bucket: a snapshot, its WAL, a recovery to the end; returns the ids in t. */
    private List<Long> restore(String name, String snapshotName) throws Exception {
        Path branchDir = root.resolve(name);
        Path snapDir = new SnapshotTransfer(bucket).download(layout, snapshotName, branchDir.resolve(SnapshotStore.DIR), identity);
        Snapshot snap = snapshots.list(branchDir.resolve(SnapshotStore.DIR)).stream().filter(s -> s.dir().equals(snapDir)).findFirst().orElseThrow();
        Path archive = branchDir.resolve("fetched-wal");
        identity.privateDir(archive);
        new WalFetcher(bucket).fetch(layout, snap.startSegment(), SEGMENT, archive, identity);
        Path data = branchDir.resolve("pgdata");
        new PointInTimeRecovery(cloner).prepare(identity, snap, data);
        identity.privateDir(branchDir.resolve(WalArchive.DIR));
        Map<String, String> settings = new LinkedHashMap<>(WalArchive.settings(Duration.ofSeconds(60)));
        settings.putAll(PointInTimeRecovery.settingsToEnd(archive));
        ComputeSpec spec = new ComputeSpec("ep-" + name, "tenant-a", 17, data, root.resolve("s-" + name), settings);
        runtime.start(spec);
        try (Connection c = awaitPromoted(spec)) {
            return longs(c, "SELECT id FROM t ORDER BY id");
        }
    }

    /**
     * Synchronous WAL: the primary names the receiver in synchronous_standby_names, so a commit returns only once
     * the receiver has put its WAL into the bucket; with the bucket down a commit waits (the receiver reports the
     * failed put) and completes when it returns; the bucket alone then rebuilds every acknowledged commit.
     */
    @Test
    void aSynchronousCommitReturnsOnlyOnceItsWalIsInTheBucket() throws Exception {
        ComputeSpec plain = TestClusters.spec("ep-b4", 17, root, "b4");
        runtime.initdb("tenant-a", 17, plain.dataDir(), TestClusters.SUPERUSER);
        identity.privateDir(plain.dataDir().resolveSibling(WalArchive.DIR));
        Map<String, String> settings = new LinkedHashMap<>(WalArchive.settings(Duration.ofSeconds(60)));
        settings.put("synchronous_standby_names", WalReceiver.APPLICATION_NAME);
        ComputeSpec source = new ComputeSpec("ep-b4", "tenant-a", 17, plain.dataDir(), plain.socketDir(), settings);
        runtime.start(source);
        try (Connection c = connect(source)) {
            exec(c, "SET synchronous_commit = local"); // no receiver yet
            exec(c, "CREATE TABLE t (id int primary key, pad text)");
        }
        Snapshot snap = snapshots.take(identity, source.socketDir(), TestClusters.SUPERUSER, source.dataDir(), source.dataDir().resolveSibling(SnapshotStore.DIR));
        new SnapshotTransfer(bucket).upload(layout, snap);
        WalReceiver receiver;
        try (Connection c = connect(source)) {
            WalShipper.FlushPosition at = WalShipper.flushPosition(c);
            receiver = WalReceiver.start(bucket, layout, SEGMENT, Clock.systemUTC(),
                    dev.oxbow.compute.PgConnections.openForReplication(source.socketDir(), TestClusters.SUPERUSER, WalReceiver.APPLICATION_NAME),
                    at.timeline(), WalSegment.containing(at.timeline(), at.lsn(), SEGMENT).startLsn());
            for (int i = 1; i <= 50; i++) {
                exec(c, "INSERT INTO t VALUES (" + i + ", 'acknowledged')");
            }
            assertThat(longs(c, "SELECT count(*) FROM pg_stat_replication WHERE application_name = 'oxbow_wal_receiver' AND sync_state = 'sync'"))
                    .containsExactly(1L);
            assertThat(receiver.status().flushedLsn()).isNotNull();
            assertThat(receiver.status().bytes()).isPositive();

            // the bucket goes away: the next commit waits for it
            server.down();
            var waiting = java.util.concurrent.CompletableFuture.runAsync(() -> {
                try (Connection w = connect(source)) {
                    exec(w, "INSERT INTO t VALUES (51, 'waited for the bucket')");
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            while (receiver.status().lastError() == null) {
                assertThat(waiting).isNotDone();
                Thread.sleep(20);
            }
            assertThat(waiting).as("a commit returned while its WAL could not reach the bucket").isNotDone();
            server.up();
            waiting.get(60, java.util.concurrent.TimeUnit.SECONDS);
        }
        receiver.close();
        runtime.close(); // the machine is gone, right after the last acknowledged commit
        runtime = new LocalComputeRuntime(TestClusters.binaries(), identity);
        TestClusters.deleteTree(source.dataDir().getParent());
        assertThat(restore("b4-restored", snap.dir().getFileName().toString())).hasSize(51).endsWith(51L);
    }

    @Test
    void whileTheBucketIsDownWalWaitsLocallyAndTheBacklogShipsWhenItReturns() throws Exception {
        ComputeSpec source = archivingCluster("ep-b2", "b2");
        WalShipper shipper = new WalShipper(bucket, layout, SEGMENT, Clock.systemUTC());
        Path archive = source.dataDir().resolveSibling(WalArchive.DIR);
        try (Connection c = connect(source)) {
            exec(c, "CREATE TABLE t (id int primary key, pad text)");
        }
        Snapshot snap = snapshots.take(identity, source.socketDir(), TestClusters.SUPERUSER, source.dataDir(), source.dataDir().resolveSibling(SnapshotStore.DIR));
        new SnapshotTransfer(bucket).upload(layout, snap);
        server.down();
        try (Connection c = connect(source)) {
            exec(c, "INSERT INTO t SELECT g, repeat('z', 300) FROM generate_series(1, 20000) g");
            WalArchive.flush(c, archive, Duration.ofSeconds(30)); // the local archive does not need the bucket
            assertThatThrownBy(() -> ship(shipper, source, c)).isInstanceOf(IOException.class);
            assertThat(shipper.status().healthy()).isFalse();
            assertThat(shipper.status().failingSince()).isNotNull();
            assertThat(shipper.status().backlogFiles()).isPositive();
            assertThat(shipper.firstUnshipped(archive)).isPresent(); // local pruning must keep these
            server.up();
            // the client's pooled connections from before the outage (up to eight, from the parallel snapshot upload)
            // fail their first requests; the next pass ships, as the server's passes do
            for (int pass = 1; ; pass++) {
                try {
                    ship(shipper, source, c);
                    break;
                } catch (IOException staleConnections) {
                    assertThat(pass).as("passes after the bucket returned").isLessThan(5);
                }
            }
            assertThat(shipper.status().healthy()).isTrue();
            assertThat(shipper.status().backlogFiles()).isZero();
            assertThat(shipper.firstUnshipped(archive)).isEmpty();
        }
        runtime.close();
        runtime = new LocalComputeRuntime(TestClusters.binaries(), identity);
        TestClusters.deleteTree(source.dataDir().getParent());
        assertThat(restore("b2-restored", snap.dir().getFileName().toString())).hasSize(20000);
    }

    @Test
    void aSnapshotUploadKilledMidwayIsNeverTrustedAndTheNextOneReusesItsPieces() throws Exception {
        ComputeSpec source = archivingCluster("ep-b3", "b3");
        try (Connection c = connect(source)) {
            exec(c, "CREATE TABLE t (id int primary key, pad text)");
            exec(c, "INSERT INTO t SELECT g, repeat('w', 100) FROM generate_series(1, 5000) g");
        }
        Path snapshotsDir = source.dataDir().resolveSibling(SnapshotStore.DIR);
        Snapshot snap = snapshots.take(identity, source.socketDir(), TestClusters.SUPERUSER, source.dataDir(), snapshotsDir);
        // the process dies after 10 objects: the real bucket gets them, then nothing more
        ObjectStore dying = new DyingStore(bucket, 10);
        assertThatThrownBy(() -> new SnapshotTransfer(dying).upload(layout, snap)).isInstanceOf(IOException.class);
        assertThat(bucket.list(layout.chunks())).hasSize(10);
        assertThat(new SnapshotTransfer(bucket).list(layout)).isEmpty(); // no manifest: not a snapshot

        SnapshotTransfer.Uploaded resumed = new SnapshotTransfer(bucket).upload(layout, snap);
        assertThat(resumed.chunksReused()).isGreaterThanOrEqualTo(10);
        assertThat(new SnapshotTransfer(bucket).list(layout)).extracting(SnapshotTransfer.Remote::lsn).containsExactly(snap.lsn());
        new WalShipper(bucket, layout, SEGMENT, Clock.systemUTC()).shipArchive(source.dataDir().resolveSibling(WalArchive.DIR));
        try (Connection c = connect(source)) {
            ship(new WalShipper(bucket, layout, SEGMENT, Clock.systemUTC()), source, c);
        }
        runtime.close();
        runtime = new LocalComputeRuntime(TestClusters.binaries(), identity);
        TestClusters.deleteTree(source.dataDir().getParent());
        assertThat(restore("b3-restored", snap.dir().getFileName().toString())).hasSize(5000);
        assertThat(bucket.list(layout.snapshots())).extracting(ObjectInfo::key).allMatch(k -> k.endsWith(".manifest"));
    }

    private Connection awaitPromoted(ComputeSpec spec) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
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

    /** The real store, until the process "dies": every write after the first {@code writes} fails. */
    private static final class DyingStore implements ObjectStore {
        private final ObjectStore real;
        private int writesLeft;

        DyingStore(ObjectStore real, int writes) {
            this.real = real;
            this.writesLeft = writes;
        }

        private void write() throws IOException {
            if (writesLeft-- <= 0) {
                throw new IOException("killed");
            }
        }

        @Override public void put(String key, Path file) throws IOException { write(); real.put(key, file); }
        @Override public void put(String key, byte[] bytes) throws IOException { write(); real.put(key, bytes); }
        @Override public Optional<byte[]> get(String key) throws IOException { return real.get(key); }
        @Override public boolean download(String key, Path target) throws IOException { return real.download(key, target); }
        @Override public List<ObjectInfo> list(String prefix) throws IOException { return real.list(prefix); }
        @Override public boolean exists(String key) throws IOException { return real.exists(key); }
        @Override public void delete(Collection<String> keys) throws IOException { real.delete(keys); }
        @Override public String location() { return real.location(); }
        @Override public void close() {}
    }
}
