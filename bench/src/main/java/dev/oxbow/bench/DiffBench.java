package dev.oxbow.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.oxbow.compute.PgConnections;
import dev.oxbow.controlplane.resource.Defaults;
import dev.oxbow.metadata.Branch;
import dev.oxbow.metadata.Endpoint;
import dev.oxbow.metadata.Project;
import dev.oxbow.server.OxbowServer;
import dev.oxbow.server.ServerConfig;
import org.postgresql.PGConnection;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Branch diff figures: a table of about {@code MB} megabytes, a branch of it that changed 0.1 % of its rows (updates,
 * deletes and inserts spread over the whole key range), and {@code GET …/branches/changed:diff?against=production}
 * timed twice; the peer, measured in the same run, is what a diff that copies the tables would at least do: COPY the
 * whole table out of both branches. Usage: {@code DiffBench [MB]} (default 512).
 */
public final class DiffBench {
    private static final String DB = Defaults.DEFAULT_DATABASE;
    private static final long BYTES_PER_ROW = 175;

    private final OxbowServer server;
    private final BenchApi api;

    private DiffBench(OxbowServer server) throws IOException {
        this.server = server;
        this.api = new BenchApi(server.baseUrl(), server.adminToken());
    }

    public static void main(String[] args) throws Exception {
        int mb = args.length > 0 ? Integer.parseInt(args[0]) : 512;
        Path home = Files.createTempDirectory(Path.of("/tmp"), "oxbow-diffbench-");
        Path pg = Path.of(System.getProperty("java.io.tmpdir"), "oxbow-test-pg");
        try (OxbowServer server = OxbowServer.start(ServerConfig.defaults(home).withApiPort(0).withPg("127.0.0.1", 0).withPgBinaries(pg))) {
            new DiffBench(server).run(mb);
        } finally {
            deleteTree(home);
        }
    }

    private void run(int mb) throws Exception {
        api.await("POST", "/api/2.0/postgres/projects?project_id=diff", "{}");
        long rows = Math.max(10_000, ((long) mb << 20) / BYTES_PER_ROW);
        long t0 = System.nanoTime();
        long tableBytes;
        try (Connection c = connect("production"); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE items (id bigint NOT NULL, val int NOT NULL, pad text NOT NULL)");
            st.execute("INSERT INTO items SELECT g, 0, repeat(md5(g::text), 3) FROM generate_series(1, " + rows + ") g");
            st.execute("ALTER TABLE items ADD PRIMARY KEY (id)");
            st.execute("VACUUM (FREEZE, ANALYZE) items");
            st.execute("CHECKPOINT");
            tableBytes = longOf(st, "SELECT pg_total_relation_size('items')");
        }
        System.out.printf("loaded items: %d rows, %s with its key, in %.0f s%n", rows, mb(tableBytes), (System.nanoTime() - t0) / 1e9);
        api.await("POST", "/api/2.0/postgres/projects/diff/branches?branch_id=changed",
                "{\"spec\":{\"source_branch\":\"projects/diff/branches/production\",\"no_expiry\":true}}");
        // 0.1 % of the rows: 0.05 % updated, 0.02 % deleted, 0.03 % inserted, spread over every key range
        long updated;
        long deleted;
        long inserted = rows * 3 / 10_000;
        try (Connection c = connect("changed"); Statement st = c.createStatement()) {
            updated = st.executeUpdate("UPDATE items SET val = val + 1 WHERE id % 2000 = 0");
            deleted = st.executeUpdate("DELETE FROM items WHERE id % 5000 = 1");
            st.executeUpdate("INSERT INTO items SELECT g * 3 + " + (rows + 1) + ", 1, 'new' FROM generate_series(0, " + (inserted - 1) + ") g");
        }
        System.out.printf("branch 'changed': %d updated, %d deleted, %d inserted = %.3f %% of rows%n", updated, deleted, inserted,
                100.0 * (updated + deleted + inserted) / rows);

        for (int run = 1; run <= 2; run++) {
            long s = System.nanoTime();
            JsonNode d = api.json("GET", "/api/2.0/oxbow/projects/diff/branches/changed:diff?against=production", null);
            double ms = (System.nanoTime() - s) / 1e6;
            JsonNode items = d.path("data").path("tables").path(0);
            JsonNode stats = d.path("stats");
            boolean exact = items.path("rows_changed").asLong() == updated && items.path("rows_removed").asLong() == deleted
                    && items.path("rows_added").asLong() == inserted;
            System.out.printf("diff run %d: %.0f ms; found +%d -%d ~%d (%s); %d queries, %d rows and %s returned (%.4f %% of %s table bytes), "
                            + "%d ranges compared, %d read row by row%n", run, ms, items.path("rows_added").asLong(), items.path("rows_removed").asLong(),
                    items.path("rows_changed").asLong(), exact ? "exact" : "WRONG: " + d, stats.path("queries").asLong(),
                    stats.path("rows_returned").asLong(), kb(stats.path("bytes_returned").asLong()),
                    100.0 * stats.path("bytes_returned").asLong() / stats.path("compared_table_bytes").asLong(),
                    mb(stats.path("compared_table_bytes").asLong()), stats.path("ranges_compared").asLong(), stats.path("ranges_fetched").asLong());
        }
        // the peer: copying the table out of both branches, the least a diff that moves whole tables would do
        long s = System.nanoTime();
        long copied = copyOut("production") + copyOut("changed");
        double copyMs = (System.nanoTime() - s) / 1e6;
        System.out.printf("peer: COPY items TO STDOUT from both branches: %.0f ms, %s moved%n", copyMs, mb(copied));
        System.out.printf("load average %s%n", Files.readString(Path.of("/proc/loadavg")).strip());
    }

    private long copyOut(String branch) throws Exception {
        long[] bytes = {0};
        try (Connection c = connect(branch)) {
            c.unwrap(PGConnection.class).getCopyAPI().copyOut("COPY items TO STDOUT", new OutputStream() {
                @Override
                public void write(int b) {
                    bytes[0]++;
                }

                @Override
                public void write(byte[] b, int off, int len) {
                    bytes[0] += len;
                }
            });
        }
        return bytes[0];
    }

    private Connection connect(String branch) throws Exception {
        var cp = server.controlPlane();
        Project p = cp.store().projects().get(Project.nameOf("diff")).orElseThrow();
        Branch b = cp.store().branches().get(Branch.nameOf("diff", branch)).orElseThrow();
        Endpoint e = cp.computes().ensureRunning(p, b);
        return PgConnections.open(cp.config().layout().socketDir(e), DB, Defaults.SYSTEM_ROLE);
    }

    private static long longOf(Statement st, String sql) throws Exception {
        try (ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static String mb(long bytes) {
        return String.format("%.0f MB", bytes / 1048576.0);
    }

    private static String kb(long bytes) {
        return String.format("%.0f KB", bytes / 1024.0);
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
