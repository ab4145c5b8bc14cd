package dev.oxbow.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.oxbow.controlplane.ControlPlane;
import dev.oxbow.metadata.Branch;
import dev.oxbow.metadata.Project;
import dev.oxbow.server.OxbowServer;
import dev.oxbow.server.ServerConfig;
import dev.oxbow.sync.DeltaTableWriter;
import io.delta.kernel.types.DoubleType;
import io.delta.kernel.types.LongType;
import io.delta.kernel.types.StringType;
import io.delta.kernel.types.StructType;
import io.delta.kernel.types.TimestampType;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Synced-table figures: SNAPSHOT rows/s for a full copy of a Delta table (default 1 M rows, 4 columns), and
 * CONTINUOUS latency from a Delta commit to the row being visible in Postgres (median, p95).
 * Usage: {@code SyncBench [rows] [commits]}.
 */
public final class SyncBench {
    private static final StructType SCHEMA = new StructType().add("id", LongType.LONG).add("name", StringType.STRING)
            .add("amount", DoubleType.DOUBLE).add("ts", TimestampType.TIMESTAMP);

    public static void main(String[] args) throws Exception {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        int commits = args.length > 1 ? Integer.parseInt(args[1]) : 30;
        Path home = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "oxbow-bench-sync-");
        Path lake = home.resolve("lake");
        Path pg = Path.of(System.getProperty("java.io.tmpdir"), "oxbow-test-pg");
        DeltaTableWriter big = DeltaTableWriter.create(lake.resolve("bench").resolve("big"), SCHEMA, true);
        for (int start = 0; start < rows; start += 250_000) {
            big.append(rows(start, Math.min(rows, start + 250_000)));
        }
        ServerConfig config = ServerConfig.defaults(home).withApiPort(0).withPg("127.0.0.1", 0).withPgBinaries(pg).withCatalogs(Map.of("lake", lake));
        // the figure is for the machine's cores: the compute may use all of them from its smallest size (0.5 CU)
        var sizing = config.sizing();
        config = config.withSizing(new dev.oxbow.controlplane.compute.ComputeSizing(sizing.ramBytesPerCu(), Runtime.getRuntime().availableProcessors() / 0.5,
                sizing.sampleEvery(), sizing.scaleUpAt(), sizing.scaleDownBelow(), sizing.scaleDownAfter()));
        try (OxbowServer server = OxbowServer.start(config)) {
            BenchApi api = new BenchApi(server.baseUrl(), server.adminToken());
            api.await("POST", "/api/2.0/postgres/projects?project_id=bench-sync", "{}");

            // SNAPSHOT: the first copy warms the JIT and Kernel; the figure is a second full copy (:sync in SNAPSHOT mode)
            api.await("POST", "/api/2.0/postgres/synced_tables?synced_table_id=lake.bench.big_copy", spec("lake.bench.big", "SNAPSHOT"));
            double firstS = syncSeconds(api.json("GET", "/api/2.0/postgres/synced_tables/lake.bench.big_copy", null));
            big.append(rows(rows, rows + 1)); // a new version, so the sync copies the whole table again
            api.await("POST", "/api/2.0/postgres/synced_tables/lake.bench.big_copy:sync", null);
            double warmS = syncSeconds(api.json("GET", "/api/2.0/postgres/synced_tables/lake.bench.big_copy", null));
            System.out.printf("SNAPSHOT full copy: rows=%d first=%.2f s (%.0f rows/s) warm=%.2f s (%.0f rows/s)%n",
                    rows, firstS, rows / firstS, warmS, (rows + 1) / warmS);

            // CONTINUOUS: one-row commits; time from commit returning to the row being readable in Postgres
            DeltaTableWriter live = DeltaTableWriter.create(lake.resolve("bench").resolve("live"), SCHEMA, true);
            live.append(rows(0, 10));
            api.await("POST", "/api/2.0/postgres/synced_tables?synced_table_id=lake.bench.live", spec("lake.bench.live", "CONTINUOUS"));
            ControlPlane cp = server.controlPlane();
            Project project = cp.store().projects().get("projects/bench-sync").orElseThrow();
            Branch branch = cp.store().branches().get("projects/bench-sync/branches/production").orElseThrow();
            List<Double> latencies = new ArrayList<>();
            try (Connection c = cp.computes().connect(project, branch, "databricks_postgres");
                 PreparedStatement ps = c.prepareStatement("SELECT 1 FROM bench.live WHERE id = ?")) {
                for (int i = 0; i < commits; i++) {
                    long id = 1_000_000L + i;
                    List<Object[]> one = new ArrayList<>();
                    one.add(new Object[] {id, "live-" + i, 1.0, Instant.now()});
                    live.append(one);
                    long t0 = System.nanoTime();
                    while (!visible(ps, id)) {
                        if (System.nanoTime() - t0 > Duration.ofSeconds(60).toNanos()) {
                            throw new IllegalStateException("row " + id + " not visible after 60 s");
                        }
                        Thread.sleep(2);
                    }
                    latencies.add((System.nanoTime() - t0) / 1e6);
                    Thread.sleep(100 + (i * 37 % 200)); // commits at irregular times, not in step with the poller
                }
            }
            System.out.printf("CONTINUOUS commit -> visible: n=%d median=%.0f ms p95=%.0f ms%n", commits,
                    ControlPlaneBench.pct(latencies, 50), ControlPlaneBench.pct(latencies, 95));
        }
    }

    private static boolean visible(PreparedStatement ps, long id) throws Exception {
        ps.setLong(1, id);
        try (ResultSet rs = ps.executeQuery()) {
            return rs.next();
        }
    }

    private static double syncSeconds(JsonNode table) {
        JsonNode last = table.path("status").path("last_sync");
        return Duration.between(Instant.parse(last.path("sync_start_time").asText()), Instant.parse(last.path("sync_end_time").asText())).toNanos() / 1e9;
    }

    private static String spec(String source, String policy) {
        return "{\"spec\":{\"source_table_full_name\":\"" + source + "\",\"primary_key_columns\":[\"id\"],\"scheduling_policy\":\"" + policy
                + "\",\"branch\":\"projects/bench-sync/branches/production\",\"postgres_database\":\"databricks_postgres\"}}";
    }

    private static List<Object[]> rows(long from, long to) {
        List<Object[]> out = new ArrayList<>((int) (to - from));
        for (long i = from; i < to; i++) {
            out.add(new Object[] {i, "name-" + i, i * 1.5, Instant.ofEpochSecond(1_700_000_000L + i)});
        }
        return out;
    }
}
