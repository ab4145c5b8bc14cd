package dev.oxbow.bench;

import dev.oxbow.controlplane.resource.Defaults;
import dev.oxbow.server.OxbowServer;
import dev.oxbow.server.ServerConfig;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Pooled-host figures in one run, against one compute: pgbench select-only with a new connection per transaction
 * ({@code -C -c 2}) on the compute's socket, through the proxy's direct host and through its pooled host; then
 * {@code -S -c 8} on kept connections through the direct and the pooled host. Printed with ratios to the socket.
 * Usage: {@code PoolerBench [seconds]}.
 */
public final class PoolerBench {
    private static final String USER = "admin@oxbow.local";

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 15;
        if (dev.oxbow.compute.PoolerBinary.find().isEmpty()) {
            System.out.println("pooled host: skipped, no PgBouncer installed (scripts/setup builds one)");
            return;
        }
        Path home = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "oxbow-poolerbench-");
        Path pg = Path.of(System.getProperty("java.io.tmpdir"), "oxbow-test-pg");
        try (OxbowServer server = OxbowServer.start(ServerConfig.defaults(home).withApiPort(0).withPg("127.0.0.1", 0).withPgBinaries(pg))) {
            BenchApi api = new BenchApi(server.baseUrl(), server.adminToken());
            BenchEndpoint ep = BenchEndpoint.create(server, api, null);
            ep.pgbenchInit();
            String host = ep.host();
            String pooledHost = ep.pooledHost();
            String cred = ep.token();
            Path socketDir = ep.socketDir();

            String socket = "host=" + socketDir + " dbname=databricks_postgres user=" + Defaults.SYSTEM_ROLE;
            String direct = via(host, server.pgPort());
            String pooled = via(pooledHost, server.pgPort());
            Map<String, String> env = Map.of("PGPASSWORD", cred);
            double socketC = pgbench(Map.of(), socket, seconds, "-C", "2");
            double directC = pgbench(env, direct, seconds, "-C", "2");
            double pooledC = pgbench(env, pooled, seconds, "-C", "2");
            double socketKept = pgbench(Map.of(), socket, seconds, null, "8");
            double directKept = pgbench(env, direct, seconds, null, "8");
            double pooledKept = pgbench(env, pooled, seconds, null, "8");
            System.out.printf("pgbench -S -C -c 2 (new connection per transaction, %d s each): socket %.0f tps, proxy %.0f tps (%.2f x socket),"
                    + " pooled host %.0f tps (%.2f x socket, %.2f x proxy)%n", seconds, socketC, directC, directC / socketC, pooledC,
                    pooledC / socketC, pooledC / directC);
            System.out.printf("pgbench -S -c 8 (kept connections, %d s each): socket %.0f tps, proxy %.0f tps (%.2f x socket),"
                    + " pooled host %.0f tps (%.2f x socket)%n", seconds, socketKept, directKept, directKept / socketKept, pooledKept,
                    pooledKept / socketKept);
        }
    }

    private static String via(String host, int port) {
        return "host=" + host + " hostaddr=127.0.0.1 port=" + port + " dbname=databricks_postgres user=" + USER + " sslmode=require";
    }

    private static double pgbench(Map<String, String> env, String conn, int seconds, String flag, String clients) throws Exception {
        java.util.List<String> command = new java.util.ArrayList<>(java.util.List.of("pgbench", "-S", "-n", "-c", clients, "-j", "2",
                "-T", Integer.toString(seconds)));
        if (flag != null) {
            command.add(flag);
        }
        command.add(conn);
        String out = BenchApi.run(env, command.toArray(String[]::new));
        return BenchApi.tps(out);
    }
}
