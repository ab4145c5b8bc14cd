package dev.oxbow.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.oxbow.controlplane.resource.Defaults;
import dev.oxbow.server.OxbowServer;
import dev.oxbow.server.ServerConfig;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Proxy figures in one run: pgbench select-only TPS through the proxy vs. directly on the compute's socket
 * (8 clients), connect + first query on a running endpoint, and cold start from IDLE to first result.
 * Usage: {@code ProxyBench [seconds] [connects] [coldStarts]}.
 */
public final class ProxyBench {
    private static final String USER = "admin@oxbow.local";

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 15;
        int connects = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        int colds = args.length > 2 ? Integer.parseInt(args[2]) : 20;
        Path home = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "oxbow-proxybench-");
        Path pg = Path.of(System.getProperty("java.io.tmpdir"), "oxbow-test-pg");
        try (OxbowServer server = OxbowServer.start(ServerConfig.defaults(home).withApiPort(0).withPg("127.0.0.1", 0).withPgBinaries(pg))) {
            BenchApi api = new BenchApi(server.baseUrl(), server.adminToken());
            api.await("POST", "/api/2.0/postgres/projects?project_id=bench", "{}");
            String epName = "projects/bench/branches/production/endpoints/primary";
            JsonNode ep = api.json("GET", "/api/2.0/postgres/" + epName, null);
            String uid = ep.path("uid").asText();
            String host = ep.path("status").path("hosts").path("host").asText();
            String cred = api.json("POST", "/api/2.0/postgres/credentials", "{\"endpoint\":\"" + epName + "\"}").path("token").asText();
            var cp = server.controlPlane();
            var record = cp.store().endpoints().get(epName).orElseThrow();
            Path socketDir = cp.config().layout().socketDir(record);

            BenchApi.run(Map.of(), "pgbench", "-i", "-q", "-s", "10", "-h", socketDir.toString(), "-U", Defaults.SYSTEM_ROLE, "databricks_postgres");
            String proxied = "host=" + host + " hostaddr=127.0.0.1 port=" + server.pgPort() + " dbname=databricks_postgres user=" + USER + " sslmode=require";
            String direct = "host=" + socketDir + " dbname=databricks_postgres user=" + Defaults.SYSTEM_ROLE;
            double directTpcb = pgbench(Map.of(), direct, seconds, "-N");
            double proxyTpcb = pgbench(Map.of("PGPASSWORD", cred), proxied, seconds, "-N");
            double directTps = pgbench(Map.of(), direct, seconds);
            double proxyTps = pgbench(Map.of("PGPASSWORD", cred), proxied, seconds);
            double directTps2 = pgbench(Map.of(), direct, seconds);
            double proxyTps2 = pgbench(Map.of("PGPASSWORD", cred), proxied, seconds);

            List<Double> connectMs = new ArrayList<>();
            for (int i = 0; i < connects; i++) {
                long t0 = System.nanoTime();
                query(server.pgPort(), uid, cred);
                connectMs.add((System.nanoTime() - t0) / 1e6);
            }
            List<Double> coldMs = new ArrayList<>();
            for (int i = 0; i < colds; i++) {
                cp.computes().suspend(cp.store().endpoints().get(epName).orElseThrow());
                long t0 = System.nanoTime();
                query(server.pgPort(), uid, cred);
                coldMs.add((System.nanoTime() - t0) / 1e6);
            }
            double d = (directTps + directTps2) / 2;
            double p = (proxyTps + proxyTps2) / 2;
            System.out.printf("pgbench -S -c 8 -j 2 (scale 10, 2 x %d s each, interleaved): direct %.0f tps, proxy %.0f tps, ratio %.2f%n",
                    seconds, d, p, p / d);
            System.out.printf("pgbench -N (simple-update, writes) -c 8 -j 2 (%d s each): direct %.0f tps, proxy %.0f tps, ratio %.2f%n",
                    seconds, directTpcb, proxyTpcb, proxyTpcb / directTpcb);
            System.out.printf("connect + first query on a running endpoint (TLS, token): n=%d median=%.1f ms p99=%.1f ms%n",
                    connects, ControlPlaneBench.pct(connectMs, 50), ControlPlaneBench.pct(connectMs, 99));
            System.out.printf("cold start IDLE -> first query result: n=%d median=%.0f ms p99=%.0f ms%n",
                    colds, ControlPlaneBench.pct(coldMs, 50), ControlPlaneBench.pct(coldMs, 99));
        }
    }

    private static void query(int port, String uid, String token) throws Exception {
        BenchApi.selectOneThroughProxy(port, USER, uid, token);
    }

    private static double pgbench(Map<String, String> env, String conn, int seconds) throws Exception {
        return pgbench(env, conn, seconds, "-S");
    }

    private static double pgbench(Map<String, String> env, String conn, int seconds, String mode) throws Exception {
        String out = BenchApi.run(env, "pgbench", mode, "-n", "-c", "8", "-j", "2", "-T", Integer.toString(seconds), conn);
        return BenchApi.tps(out);
    }
}
