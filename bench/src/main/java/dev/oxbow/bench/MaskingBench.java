package dev.oxbow.bench;

import dev.oxbow.compute.PgConnections;
import dev.oxbow.controlplane.resource.Defaults;
import dev.oxbow.metadata.Branch;
import dev.oxbow.metadata.Endpoint;
import dev.oxbow.metadata.Project;
import dev.oxbow.server.OxbowServer;
import dev.oxbow.server.ServerConfig;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Masked-branch figures: the time to create a branch of a {@code rows}-row users table (until READY, then its first
 * query answered) unmasked and masked with three rules (fake_email, hash, null), alternating, median of
 * {@code reps}; the ratio masked/unmasked is the figure to compare across machines.
 * Usage: {@code MaskingBench [rows] [reps]}.
 */
public final class MaskingBench {
    private static final String DB = Defaults.DEFAULT_DATABASE;
    private static final String P = "mask-bench";

    public static void main(String[] args) throws Exception {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        int reps = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        Path home = Files.createTempDirectory("oxbow-maskbench-");
        Path pg = Path.of(System.getProperty("java.io.tmpdir"), "oxbow-test-pg");
        try (OxbowServer server = OxbowServer.start(ServerConfig.defaults(home).withApiPort(0).withPg("127.0.0.1", 0).withPgBinaries(pg))) {
            BenchApi api = new BenchApi(server.baseUrl(), server.adminToken());
            api.await("POST", "/api/2.0/postgres/projects?project_id=" + P, "{}");
            try (Connection c = connect(server, "production"); Statement st = c.createStatement()) {
                st.execute("CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, ssn text, note text)");
                st.execute("INSERT INTO users SELECT g, 'user' || g || '@corp.example', lpad(g::text, 9, '0'), repeat('n', 40) FROM generate_series(1, " + rows + ") g");
                st.execute("CREATE ROLE app_owner NOLOGIN");
                st.execute("ALTER TABLE users OWNER TO app_owner"); // masking changes tenant-owned tables only
                st.execute("VACUUM (FREEZE, ANALYZE) users");
                st.execute("CHECKPOINT");
            }
            String rule = "{\"database\":\"" + DB + "\",\"table\":\"users\",\"column\":\"%s\",\"action\":\"%s\"}";
            var set = api.send("PATCH", "/api/2.0/oxbow/projects/" + P + "/masking-rules", "{\"rules\":[" + String.format(rule, "email", "fake_email")
                    + "," + String.format(rule, "id", "hash") + "," + String.format(rule, "ssn", "null") + "]}");
            if (set.statusCode() != 200) {
                throw new IllegalStateException("rules: " + set.body());
            }
            List<Double> plain = new ArrayList<>();
            List<Double> masked = new ArrayList<>();
            for (int i = 0; i < reps; i++) {
                plain.add(create(server, api, "plain-" + i, false));
                masked.add(create(server, api, "masked-" + i, true));
            }
            double p = median(plain);
            double m = median(masked);
            System.out.printf("masked branches: %d rows, create until first query: unmasked %.0f ms, masked %.0f ms (median of %d), ratio %.2f%n",
                    rows, p, m, reps, m / p);
        } finally {
            try (var files = Files.walk(home)) {
                files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    private static double create(OxbowServer server, BenchApi api, String id, boolean masked) throws Exception {
        long t0 = System.nanoTime();
        api.await("POST", "/api/2.0/postgres/projects/" + P + "/branches?branch_id=" + id,
                "{\"spec\":{\"source_branch\":\"projects/" + P + "/branches/production\",\"no_expiry\":true" + (masked ? ",\"masked\":true" : "") + "}}");
        try (Connection c = connect(server, id); Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT email FROM users WHERE id IS NOT NULL LIMIT 1")) {
            rs.next();
            if (masked != rs.getString(1).endsWith("@example.invalid")) {
                throw new IllegalStateException(id + " holds " + rs.getString(1));
            }
        }
        double ms = (System.nanoTime() - t0) / 1e6;
        api.await("DELETE", "/api/2.0/postgres/projects/" + P + "/branches/" + id + "?purge=true", null);
        return ms;
    }

    private static Connection connect(OxbowServer server, String branch) throws Exception {
        var cp = server.controlPlane();
        Project p = cp.store().projects().get(Project.nameOf(P)).orElseThrow();
        Branch b = cp.store().branches().get(Branch.nameOf(P, branch)).orElseThrow();
        Endpoint e = cp.computes().ensureRunning(p, b);
        return PgConnections.open(cp.config().layout().socketDir(e), DB, Defaults.SYSTEM_ROLE);
    }

    private static double median(List<Double> xs) {
        List<Double> s = xs.stream().sorted().toList();
        return s.get(s.size() / 2);
    }
}
