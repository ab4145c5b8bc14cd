package dev.oxbow.bench;

import dev.oxbow.compute.PgConnections;
import dev.oxbow.controlplane.history.BucketPolicy;
import dev.oxbow.controlplane.history.HistoryPolicy;
import dev.oxbow.controlplane.resource.Defaults;
import dev.oxbow.metadata.Branch;
import dev.oxbow.metadata.Endpoint;
import dev.oxbow.metadata.Project;
import dev.oxbow.server.OxbowServer;
import dev.oxbow.server.ServerConfig;
import dev.oxbow.compute.Lsn;
import dev.oxbow.storage.object.ObjectInfo;
import dev.oxbow.storage.object.ObjectStore;
import dev.oxbow.storage.object.ObjectStores;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;

import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

/**
 * Object-storage figures in one run, against S3Proxy on loopback (filesystem back end, the tests' S3 server):
 * pgbench -N -c 8 without an object store and with WAL shipping (throughput, and the shipping lag's p50/p99
 * sampled every 100 ms), single-client commit latency local vs synchronous_wal (and pgbench -N -c 8 on it),
 * bucket bytes for ten snapshots with 1 % of the rows changed before each vs one copy, and the restore of a
 * branch of the given size from the bucket alone into an empty home until its first query answers.
 * Usage: {@code ObjectStoreBench [pgbench-seconds] [db-MB] [snapshots]}: 0 seconds skips the pgbench and commit
 * figures, 0 snapshots the bucket-bytes figure (so {@code 0 2048 0} measures only the restore of a 2 GB branch).
 */
public final class ObjectStoreBench {
    private static final String DB = Defaults.DEFAULT_DATABASE;
    private static final int COMMITS = 400;

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 15;
        int dbMb = args.length > 1 ? Integer.parseInt(args[1]) : 1024;
        int snapshots = args.length > 2 ? Integer.parseInt(args[2]) : 10;
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        Path pg = tmp.resolve("oxbow-test-pg");
        Path s3Dir = Files.createTempDirectory(tmp, "oxbow-s3bench-s3-");
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Properties props = new Properties();
        props.setProperty("jclouds.filesystem.basedir", s3Dir.toString());
        BlobStoreContext context = ContextBuilder.newBuilder("filesystem").credentials("identity", "credential").overrides(props)
                .build(BlobStoreContext.class);
        context.getBlobStore().createContainerInLocation(null, "bench");
        S3Proxy proxy = S3Proxy.builder().blobStore(context.getBlobStore()).endpoint(URI.create("http://127.0.0.1:" + port))
                .awsAuthentication(org.gaul.s3proxy.AuthenticationType.AWS_V2_OR_V4, "bench", "bench-secret").build();
        proxy.start();
        while (!proxy.getState().equals("STARTED")) {
            Thread.onSpinWait();
        }
        Map<String, String> env = Map.of("AWS_ACCESS_KEY_ID", "bench", "AWS_SECRET_ACCESS_KEY", "bench-secret", "AWS_REGION", "us-east-1",
                "AWS_ENDPOINT_URL", "http://127.0.0.1:" + port,
                // the metadata backup's key lives outside the bucket and the home: the restore into an empty home needs it
                "OXBOW_BACKUP_KEY", java.util.Base64.getEncoder().encodeToString(new java.security.SecureRandom().generateSeed(32)));
        String location = "s3://bench/oxbow";
        // snapshots only when the bench takes them
        HistoryPolicy history = new HistoryPolicy(Long.MAX_VALUE / 4, Duration.ofDays(365), Duration.ofHours(1), Duration.ZERO);
        List<Path> homes = new ArrayList<>();
        try {
            // 1. local only: the peer
            Path localHome = Files.createTempDirectory(tmp, "oxbow-s3bench-local-");
            homes.add(localHome);
            double localTps = 0;
            double[] localCommit = {0, 0};
            if (seconds > 0) try (OxbowServer server = OxbowServer.start(ServerConfig.defaults(localHome).withApiPort(0).withPg("127.0.0.1", 0)
                    .withPgBinaries(pg).withHistory(history))) {
                Path socket = project(server, "local", "{}");
                BenchApi.run(Map.of(), "pgbench", "-i", "-q", "-s", "10", "-h", socket.toString(), "-U", Defaults.SYSTEM_ROLE, DB);
                localTps = pgbench(socket, seconds);
                localCommit = commitLatency(socket);
            }
            // 2. with the object store: shipping under pgbench, synchronous commits, snapshots, restore
            Path home = Files.createTempDirectory(tmp, "oxbow-s3bench-bucket-");
            homes.add(home);
            ServerConfig bucketConfig = ServerConfig.defaults(home).withApiPort(0).withPg("127.0.0.1", 0).withPgBinaries(pg).withHistory(history)
                    .withBucket(BucketPolicy.at(location, env));
            try (OxbowServer server = OxbowServer.start(bucketConfig); ObjectStore bucket = ObjectStores.open(location, env)) {
                var cp = server.controlPlane();
                System.out.printf("load average at start of figures: %s%n", Files.readString(Path.of("/proc/loadavg")).strip());
                if (seconds > 0) {
                    Path socket = project(server, "async", "{}");
                    BenchApi.run(Map.of(), "pgbench", "-i", "-q", "-s", "10", "-h", socket.toString(), "-U", Defaults.SYSTEM_ROLE, DB);
                    Branch branch = cp.store().branches().get("projects/async/branches/production").orElseThrow();
                    // the steady-state lag is what the goal is about: let the receiver ship pgbench -i's ~150 MB burst first
                    System.out.printf("pgbench -i's WAL shipped %.1f s after it ended%n",
                            awaitShipped(socket, () -> cp.bucket().get().status(branch).map(s -> s.lastShippedLsn()).orElse(null)) / 1e3);
                    CompletableFuture<Double> run = CompletableFuture.supplyAsync(() -> {
                        try {
                            return pgbench(socket, seconds);
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                    });
                    List<Double> lags = lagSamples(socket, () -> cp.bucket().get().status(branch).map(s -> s.lastShippedLsn()).orElse(null), run);
                    double shipTps = run.get();
                    double[] asyncCommit = commitLatency(socket);
                    lags.sort(null);
                    System.out.printf("pgbench -N -c 8 -j 2 (%d s, scale 10): local only %.0f tps, WAL streamed to the bucket %.0f tps (%.2f x local);"
                                    + " shipping lag p50 %.0f ms, p99 %.0f ms, max %.0f ms (%d samples every 100 ms)%n", seconds, localTps, shipTps,
                            shipTps / localTps, pct(lags, 0.50), pct(lags, 0.99), pct(lags, 1.0), lags.size());

                    Path syncSocket = project(server, "sync", "{\"spec\":{\"synchronous_wal\":true}}");
                    awaitSync(syncSocket);
                    double[] syncCommit = commitLatency(syncSocket);
                    BenchApi.run(Map.of(), "pgbench", "-i", "-q", "-s", "10", "-h", syncSocket.toString(), "-U", Defaults.SYSTEM_ROLE, DB);
                    double syncTps = pgbench(syncSocket, seconds);
                    System.out.printf("single-client commit latency (%d INSERT commits): local-only server p50 %.2f ms p99 %.2f ms;"
                                    + " shipping, async project p50 %.2f ms p99 %.2f ms; synchronous_wal p50 %.2f ms p99 %.2f ms (%.1f x async p50)%n",
                            COMMITS, localCommit[0], localCommit[1], asyncCommit[0], asyncCommit[1], syncCommit[0], syncCommit[1], syncCommit[0] / asyncCommit[0]);
                    System.out.printf("pgbench -N -c 8 on a synchronous_wal project: %.0f tps (%.2f x the async project's %.0f)%n", syncTps, syncTps / shipTps, shipTps);
                    System.out.printf("load average after the pgbench figures: %s%n", Files.readString(Path.of("/proc/loadavg")).strip());
                }

                // 3. ten snapshots, 1 % of the rows changed before each
                Path bigSocket = project(server, "big", "{}");
                long rows = (long) dbMb * 1024 * 1024 / 300;
                sql(bigSocket, "CREATE TABLE items (id bigint primary key, pad text)");
                sql(bigSocket, "INSERT INTO items SELECT g, repeat(md5(g::text), 8) FROM generate_series(1, " + rows + ") g");
                sql(bigSocket, "VACUUM ANALYZE items");
                System.out.printf("load average before the snapshot figures: %s%n", Files.readString(Path.of("/proc/loadavg")).strip());
                Project big = cp.store().projects().get("projects/big").orElseThrow();
                Branch bigBranch = cp.store().branches().get("projects/big/branches/production").orElseThrow();
                long dbBytes = Long.parseLong(query(bigSocket, "SELECT pg_database_size(current_database())"));
                String chunks = "projects/" + big.uid() + "/chunks/";
                cp.bucket().get().uploadSnapshots(big, bigBranch); // the branch's first snapshot, taken at creation
                long firstStart = System.nanoTime();
                cp.timelines().snapshot(big, bigBranch);
                cp.bucket().get().uploadSnapshots(big, bigBranch);
                double firstSeconds = (System.nanoTime() - firstStart) / 1e9;
                long first = bytes(bucket, chunks);
                System.out.printf("first full snapshot of the %d MB database: taken and uploaded in %.1f s (%.0f MB of pieces)%n", dbBytes >> 20,
                        firstSeconds, first / 1048576.0);
                long step = rows / 100;
                long uploadStart = System.nanoTime();
                for (int i = 0; i < snapshots; i++) {
                    long from = 1 + i * step * 3 % Math.max(1, rows - step);
                    sql(bigSocket, "UPDATE items SET pad = repeat(md5((id + " + (i + 1) + ")::text), 8) WHERE id BETWEEN " + from + " AND " + (from + step - 1));
                    cp.timelines().snapshot(big, bigBranch);
                    cp.bucket().get().uploadSnapshots(big, bigBranch);
                }
                long ten = bytes(bucket, chunks);
                long manifests = bytes(bucket, "projects/" + big.uid() + "/branches/" + bigBranch.uid() + "/snapshots/");
                if (snapshots > 0) System.out.printf("bucket bytes, %d MB database (%d rows): first snapshot %.0f MB of pieces; after %d more snapshots with 1%% of the rows"
                                + " (a contiguous id range) updated before each: %.0f MB of pieces + %.1f MB of manifests = %.2f x one copy"
                                + " (%.1f s per snapshot taken and uploaded)%n", dbBytes >> 20, rows, first / 1048576.0, snapshots, ten / 1048576.0, manifests / 1048576.0,
                        (ten + manifests) / (double) first, (System.nanoTime() - uploadStart) / 1e9 / snapshots);

                // 4. restore that branch from the bucket alone
                sql(bigSocket, "INSERT INTO items VALUES (0, 'last')");
                String flushed = query(bigSocket, "SELECT pg_current_wal_flush_lsn()::text");
                while (cp.bucket().get().status(bigBranch).map(s -> s.lastShippedLsn() == null || Lsn.parse(s.lastShippedLsn()) < Lsn.parse(flushed))
                        .orElse(true)) {
                    Thread.sleep(100);
                }
                cp.bucket().get().backUpMetadata();
            }
            deleteTree(home);
            Path restored = Files.createTempDirectory(tmp, "oxbow-s3bench-restored-");
            homes.add(restored);
            long start = System.nanoTime();
            try (OxbowServer server = OxbowServer.start(ServerConfig.defaults(restored).withApiPort(0).withPg("127.0.0.1", 0).withPgBinaries(pg)
                    .withHistory(history).withBucket(BucketPolicy.at(location, env).withRestore(true)))) {
                var cp = server.controlPlane();
                Endpoint ep = cp.store().endpoints().get("projects/big/branches/production/endpoints/primary").orElseThrow();
                Path socket = cp.config().layout().socketDir(ep);
                String count = null;
                while (count == null) {
                    try {
                        count = query(socket, "SELECT count(*) FROM items WHERE id = 0");
                    } catch (java.sql.SQLException notYet) {
                        Thread.sleep(50);
                    }
                }
                System.out.printf("restore from the bucket into an empty home (%d MB database, every project rebuilt): %.1f s to the first query"
                        + " (the last commit %s)%n", dbMb, (System.nanoTime() - start) / 1e9, count.equals("1") ? "is there" : "IS MISSING");
            }
        } finally {
            proxy.stop();
            context.close();
            for (Path h : homes) {
                deleteTree(h);
            }
            deleteTree(s3Dir);
        }
    }

    private static Path project(OxbowServer server, String id, String body) throws Exception {
        new BenchApi(server.baseUrl(), server.adminToken()).await("POST", "/api/2.0/postgres/projects?project_id=" + id, body);
        var cp = server.controlPlane();
        return cp.config().layout().socketDir(cp.store().endpoints().get("projects/" + id + "/branches/production/endpoints/primary").orElseThrow());
    }

    private static double pgbench(Path socket, int seconds) throws Exception {
        String out = BenchApi.run(Map.of(), "pgbench", "-N", "-n", "-c", "8", "-j", "2", "-T", Integer.toString(seconds), "-h", socket.toString(),
                "-U", Defaults.SYSTEM_ROLE, DB);
        return BenchApi.tps(out);
    }

    /** p50 and p99 in ms of single-row INSERT commits, one at a time. */
    private static double[] commitLatency(Path socket) throws Exception {
        try (Connection c = PgConnections.open(socket, DB, Defaults.SYSTEM_ROLE); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE IF NOT EXISTS commit_bench (id bigserial primary key, at timestamptz default now())");
            List<Double> ms = new ArrayList<>();
            for (int i = 0; i < COMMITS; i++) {
                long t = System.nanoTime();
                st.execute("INSERT INTO commit_bench DEFAULT VALUES");
                ms.add((System.nanoTime() - t) / 1e6);
            }
            ms.sort(null);
            return new double[] {pct(ms, 0.5), pct(ms, 0.99)};
        }
    }

    private static void awaitSync(Path socket) throws Exception {
        while (!"sync".equals(query(socket, "SELECT coalesce((SELECT sync_state FROM pg_stat_replication WHERE application_name = 'oxbow_wal_receiver'), '')"))) {
            Thread.sleep(100);
        }
    }

    /** Waits until the shipped position passes the flush position of now; the milliseconds it took. */
    private static long awaitShipped(Path socket, java.util.function.Supplier<String> shipped) throws Exception {
        long start = System.nanoTime();
        long target = Lsn.parse(query(socket, "SELECT pg_current_wal_flush_lsn()::text"));
        for (String s = shipped.get(); s == null || Lsn.parse(s) < target; s = shipped.get()) {
            if (System.nanoTime() - start > 300_000_000_000L) {
                throw new IllegalStateException("the bucket did not receive the WAL up to " + Lsn.format(target) + " in 5 min (shipped " + s + ")");
            }
            Thread.sleep(50);
        }
        return (System.nanoTime() - start) / 1_000_000;
    }

    /** Every 100 ms: the flush position; each sample's lag is the time until the shipped position passed it. */
    private static List<Double> lagSamples(Path socket, java.util.function.Supplier<String> shipped, CompletableFuture<?> until) throws Exception {
        List<long[]> flushes = new ArrayList<>(); // {nanos, lsn}
        List<long[]> ships = new ArrayList<>();
        try (Connection c = PgConnections.open(socket, "postgres", Defaults.SYSTEM_ROLE); Statement st = c.createStatement()) {
            long end = Long.MAX_VALUE;
            while (System.nanoTime() < end) {
                if (until.isDone() && end == Long.MAX_VALUE) {
                    end = System.nanoTime() + 3_000_000_000L; // let the last samples be shipped
                }
                try (ResultSet rs = st.executeQuery("SELECT pg_current_wal_flush_lsn()::text")) {
                    rs.next();
                    long now = System.nanoTime();
                    if (!until.isDone()) {
                        flushes.add(new long[] {now, Lsn.parse(rs.getString(1))});
                    }
                    String s = shipped.get();
                    ships.add(new long[] {now, s == null ? 0 : Lsn.parse(s)});
                }
                Thread.sleep(100);
            }
        }
        List<Double> lags = new ArrayList<>();
        for (long[] f : flushes) {
            for (long[] s : ships) {
                if (s[0] >= f[0] && s[1] >= f[1]) {
                    lags.add((s[0] - f[0]) / 1e6);
                    break;
                }
            }
        }
        return lags;
    }

    private static double pct(List<Double> sorted, double p) {
        if (sorted.isEmpty()) {
            return Double.NaN; // no sample's flush position was shipped before the run ended
        }
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p * sorted.size()) - 1));
    }

    private static long bytes(ObjectStore bucket, String prefix) throws Exception {
        return bucket.list(prefix).stream().mapToLong(ObjectInfo::size).sum();
    }

    private static void sql(Path socket, String sql) throws Exception {
        try (Connection c = PgConnections.open(socket, DB, Defaults.SYSTEM_ROLE); Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    private static String query(Path socket, String sql) throws Exception {
        try (Connection c = PgConnections.open(socket, DB, Defaults.SYSTEM_ROLE); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (Exception ignored) {
            // best effort
        }
    }
}
