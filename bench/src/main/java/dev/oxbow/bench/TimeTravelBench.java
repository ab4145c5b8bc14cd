package dev.oxbow.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.oxbow.compute.PgConnections;
import dev.oxbow.controlplane.resource.Defaults;
import dev.oxbow.server.OxbowServer;
import dev.oxbow.server.ServerConfig;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * Time travel through the proxy: connect with {@code at=<LSN>} until the first row of a query, cold (a point no compute
 * serves yet: snapshot copy + WAL replay + hot-standby start) and warm (the cached compute), beside two peers measured in
 * the same run: connect + first row on the running endpoint, and its cold start from IDLE.
 * Usage: {@code TimeTravelBench [db-MB] [points] [warm-connects]}.
 */
public final class TimeTravelBench {
    private static final String USER = "admin@oxbow.local";
    private static final String EP = "projects/tt/branches/production/endpoints/primary";

    public static void main(String[] args) throws Exception {
        int dbMb = args.length > 0 ? Integer.parseInt(args[0]) : 64;
        int points = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        int warm = args.length > 2 ? Integer.parseInt(args[2]) : 50;
        Path home = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "oxbow-ttbench-");
        Path pg = Path.of(System.getProperty("java.io.tmpdir"), "oxbow-test-pg");
        try (OxbowServer server = OxbowServer.start(ServerConfig.defaults(home).withApiPort(0).withPg("127.0.0.1", 0).withPgBinaries(pg))) {
            BenchApi api = new BenchApi(server.baseUrl(), server.adminToken());
            api.await("POST", "/api/2.0/postgres/projects?project_id=tt", "{}");
            JsonNode ep = api.json("GET", "/api/2.0/postgres/" + EP, null);
            String uid = ep.path("uid").asText();
            String cred = api.json("POST", "/api/2.0/postgres/credentials", "{\"endpoint\":\"" + EP + "\"}").path("token").asText();
            var cp = server.controlPlane();
            Path socketDir = cp.config().layout().socketDir(cp.store().endpoints().get(EP).orElseThrow());
            List<String> lsns = new ArrayList<>();
            try (Connection c = PgConnections.open(socketDir, Defaults.DEFAULT_DATABASE, Defaults.SYSTEM_ROLE); Statement st = c.createStatement()) {
                long walBefore = dev.oxbow.compute.Lsn.parse(stringOf(st, "SELECT pg_current_wal_insert_lsn()::text"));
                long rows = Math.max(1000, ((long) dbMb << 20) / 175);
                st.execute("CREATE TABLE items (id bigint PRIMARY KEY, val int NOT NULL, pad text NOT NULL)");
                st.execute("INSERT INTO items SELECT g, 0, repeat(md5(g::text), 3) FROM generate_series(1, " + rows + ") g");
                for (int i = 0; i < points + 1; i++) {
                    st.execute("UPDATE items SET val = " + (i + 1) + " WHERE id = 1");
                    try (ResultSet rs = st.executeQuery("SELECT pg_current_wal_insert_lsn()::text")) {
                        rs.next();
                        lsns.add(rs.getString(1));
                    }
                }
                long wal = dev.oxbow.compute.Lsn.parse(lsns.get(0)) - walBefore;
                System.out.printf("time travel: database %s, %d points after the load; %d MB of WAL from before the load to the first point"
                                + " (replayed from the branch's newest snapshot before the point)%n",
                        stringOf(st, "SELECT pg_size_pretty(pg_database_size(current_database()))"), points, wal >> 20);
            }
            List<Double> wake = new ArrayList<>();
            for (int i = 0; i < points; i++) {
                cp.computes().suspend(cp.store().endpoints().get(EP).orElseThrow());
                wake.add(firstRow(server.pgPort(), uid, null, cred));
            }
            firstRow(server.pgPort(), uid, lsns.get(points), cred); // warms the JIT and the code paths, not counted
            List<Double> cold = new ArrayList<>();
            for (int i = 0; i < points; i++) {
                cold.add(firstRow(server.pgPort(), uid, lsns.get(i), cred));
            }
            // interleaved, so both see the same load
            List<Double> live = new ArrayList<>();
            List<Double> cached = new ArrayList<>();
            for (int i = 0; i < warm; i++) {
                live.add(firstRow(server.pgPort(), uid, null, cred));
                cached.add(firstRow(server.pgPort(), uid, lsns.get(i % points), cred));
            }
            double coldMed = ControlPlaneBench.pct(cold, 50);
            double cachedMed = ControlPlaneBench.pct(cached, 50);
            double liveMed = ControlPlaneBench.pct(live, 50);
            double wakeMed = ControlPlaneBench.pct(wake, 50);
            System.out.printf("time travel connect -> first row, cold (new point): n=%d median=%.0f ms min=%.0f max=%.0f%n", points, coldMed,
                    ControlPlaneBench.pct(cold, 0), ControlPlaneBench.pct(cold, 100));
            System.out.printf("time travel connect -> first row, warm (cached compute): n=%d median=%.1f ms p99=%.1f ms%n", warm, cachedMed,
                    ControlPlaneBench.pct(cached, 99));
            System.out.printf("peer: endpoint connect -> first row, running: n=%d median=%.1f ms; cold start from IDLE: n=%d median=%.0f ms%n",
                    warm, liveMed, points, wakeMed);
            System.out.printf("ratios: time-travel cold / endpoint cold start %.2f; time-travel warm / endpoint running %.2f%n",
                    coldMed / wakeMed, cachedMed / liveMed);
        } finally {
            BenchApi.run(java.util.Map.of(), "rm", "-rf", home.toString());
        }
    }

    private static String stringOf(Statement st, String sql) throws java.sql.SQLException {
        try (ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    /** Milliseconds from connecting (TLS, token) to the first row of a query, at {@code lsn} when given. */
    private static double firstRow(int port, String uid, String lsn, String token) throws Exception {
        Properties p = new Properties();
        p.setProperty("user", USER);
        p.setProperty("password", token);
        p.setProperty("sslmode", "require");
        p.setProperty("options", "endpoint=" + uid + (lsn == null ? "" : " at=" + lsn));
        p.setProperty("connectTimeout", "120");
        long t0 = System.nanoTime();
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/" + Defaults.DEFAULT_DATABASE, p);
             ResultSet rs = c.createStatement().executeQuery("SELECT val FROM items WHERE id = 1")) {
            rs.next();
            return (System.nanoTime() - t0) / 1e6;
        }
    }
}
