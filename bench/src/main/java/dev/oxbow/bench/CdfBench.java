package dev.oxbow.bench;

import dev.oxbow.compute.ComputeSpec;
import dev.oxbow.compute.LocalComputeRuntime;
import dev.oxbow.compute.PgConnections;
import dev.oxbow.compute.PostgresBinaries;
import dev.oxbow.compute.ProcessIdentity;
import dev.oxbow.sync.cdf.ChangeFeed;
import dev.oxbow.sync.cdf.FeedConnections;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Change feeds (Postgres → Delta) on a real PostgreSQL 17 with wal_level=logical, the feed engine without the server:
 * rows/s of pgbench-style single-row insert transactions applied to Delta (beside the insert rate Postgres itself
 * reached in the same run, the peer), commit→visible-in-Delta latency p50/p99 with a feed passing continuously, and
 * the WAL the slot retained under that steady load. Args: [rows] [latency-samples].
 */
public final class CdfBench {
    public static void main(String[] args) throws Exception {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        int samples = args.length > 1 ? Integer.parseInt(args[1]) : 50;
        Path root = Path.of("/tmp", "oxbow-cdfbench-" + UUID.randomUUID().toString().substring(0, 8));
        Files.createDirectory(root, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        ProcessIdentity identity = ProcessIdentity.detect("postgres");
        try (LocalComputeRuntime runtime = new LocalComputeRuntime(new PostgresBinaries(Path.of("/tmp/oxbow-test-pg"), identity), identity)) {
            ComputeSpec spec = new ComputeSpec("ep-cdfbench", "bench", 17, root.resolve("pg").resolve("pgdata"), root.resolve("s"),
                    Map.of("wal_level", "logical"));
            runtime.initdb("bench", 17, spec.dataDir(), "oxbow_admin");
            runtime.start(spec);
            try (Connection c = PgConnections.open(spec.socketDir(), "postgres", "oxbow_admin"); Statement s = c.createStatement()) {
                s.execute("CREATE SCHEMA app; CREATE TABLE app.events (id bigint PRIMARY KEY, account int, amount numeric(12,2), note text, at timestamptz DEFAULT now())");
            }
            Path lake = Files.createDirectories(root.resolve("lake").resolve("app"));
            ChangeFeed.Connections connections = new FeedConnections(spec.socketDir(), "postgres", "oxbow_admin");
            Map<String, dev.oxbow.sync.cdf.FeedTableStatus> statuses = new HashMap<>();
            ChangeFeed feed = new ChangeFeed(new ChangeFeed.Config("bench", "app", lake, 10, 1L << 32, 10_000, Duration.ofMillis(200), Duration.ofSeconds(120)),
                    statuses, s -> statuses.put(s.pgTable(), s));
            feed.pass(connections); // slot, publication, empty snapshot

            long insertStart = System.nanoTime();
            insert(spec, 0, rows);
            double insertSeconds = (System.nanoTime() - insertStart) / 1e9;
            long feedStart = System.nanoTime();
            long applied = 0;
            int passes = 0;
            while (applied < rows) { // a pass ends when the stream idles; the backlog may take several
                applied += feed.pass(connections).appliedChanges();
                passes++;
            }
            double feedSeconds = (System.nanoTime() - feedStart) / 1e9;
            System.out.printf("cdf: %d single-row insert transactions: Postgres took them at %.0f rows/s (peer); the feed applied them to Delta"
                            + " in %d passes at %.0f rows/s (%.2fx the insert rate)%n",
                    rows, rows / insertSeconds, passes, applied / feedSeconds, (applied / feedSeconds) / (rows / insertSeconds));

            // commit → visible: first with passes back to back (each ends when caught up: set-up and a new replication
            // connection every time, the runner's behaviour on a compute nobody uses), then with one stream kept open
            // (the runner's behaviour while clients use the compute); the same commits, one row at a time
            Path log = lake.resolve("events").resolve("_delta_log");
            latency("passes back to back", spec, feed, connections, log, samples, 10_000_000L, false);
            latency("one open stream", spec, feed, connections, log, samples, 20_000_000L, true);
            System.out.printf("cdf: load average at the end %.1f%n", java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        }
    }

    private static void latency(String mode, ComputeSpec spec, ChangeFeed feed, ChangeFeed.Connections connections, Path log, int samples,
                                long firstId, boolean stream) throws Exception {
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong maxRetained = new AtomicLong();
        Thread follower = new Thread(() -> {
            while (running.get()) {
                try {
                    maxRetained.accumulateAndGet(feed.pass(connections, stream ? running::get : () -> false).retainedBytes(), Math::max);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
        });
        follower.start();
        List<Long> micros = new ArrayList<>();
        try (Connection c = PgConnections.open(spec.socketDir(), "postgres", "oxbow_admin");
             PreparedStatement ps = c.prepareStatement("INSERT INTO app.events (id, account, amount, note) VALUES (?, 1, 1.00, 'latency')")) {
            for (int i = 0; i < samples; i++) {
                long next = latest(log) + 1;
                ps.setLong(1, firstId + i);
                long t0 = System.nanoTime();
                ps.executeUpdate();
                while (!Files.exists(log.resolve(String.format("%020d.json", next)))) Thread.onSpinWait();
                micros.add((System.nanoTime() - t0) / 1000);
            }
        }
        running.set(false);
        follower.join();
        micros.sort(null);
        System.out.printf("cdf: commit -> visible in Delta, %s, over %d commits: p50 %.1f ms, p99 %.1f ms; WAL retained by the slot under that load:"
                        + " at most %d kB%n", mode, samples, micros.get(micros.size() / 2) / 1000.0,
                micros.get(Math.min(micros.size() - 1, (int) Math.ceil(micros.size() * 0.99) - 1)) / 1000.0, maxRetained.get() / 1024);
    }

    private static long latest(Path log) throws Exception {
        try (var files = Files.list(log)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".json") && n.length() == 25)
                    .mapToLong(n -> Long.parseLong(n.substring(0, 20))).max().orElse(-1);
        }
    }

    private static void insert(ComputeSpec spec, int from, int rows) throws Exception {
        try (Connection c = PgConnections.open(spec.socketDir(), "postgres", "oxbow_admin");
             PreparedStatement ps = c.prepareStatement("INSERT INTO app.events (id, account, amount, note) VALUES (?, ?, ?, 'pgbench-style')")) {
            c.setAutoCommit(true);
            for (int i = from; i < from + rows; i++) {
                ps.setLong(1, i);
                ps.setInt(2, i % 100);
                ps.setBigDecimal(3, java.math.BigDecimal.valueOf(i % 10_000, 2));
                ps.executeUpdate(); // one transaction per row, as pgbench's inserts
            }
        }
    }
}
