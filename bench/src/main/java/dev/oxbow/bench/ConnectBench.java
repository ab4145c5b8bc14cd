package dev.oxbow.bench;

import dev.oxbow.controlplane.resource.Defaults;
import dev.oxbow.server.OxbowServer;
import dev.oxbow.server.ServerConfig;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A new connection on a running endpoint, door by door, in one run (issues 24 and 18 (b)): libpq's {@code pgbench -C -c 1}
 * with {@code SELECT 1} on the compute's socket, through the proxy's direct host and through its pooled host (one
 * connection at a time, so its "average connection time" is one connect's latency); pgjdbc's connect + {@code SELECT 1}
 * through the proxy; and the TLS handshakes alone ({@code openssl s_time -new}, direct TLS, one at a time), the ceiling of
 * any TLS door on this machine. Rounds interleaved. Run the server's log at debug for {@code dev.oxbow.proxy.LoginTimeline}
 * to see each login's steps inside the proxy. Usage: {@code ConnectBench [seconds] [rounds] [jdbc-connects]}.
 */
public final class ConnectBench {
    private static final String USER = "admin@oxbow.local";

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        int jdbc = args.length > 2 ? Integer.parseInt(args[2]) : 100;
        Path home = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "oxbow-connectbench-");
        Path pg = Path.of(System.getProperty("java.io.tmpdir"), "oxbow-test-pg");
        try (OxbowServer server = OxbowServer.start(ServerConfig.defaults(home).withApiPort(0).withPg("127.0.0.1", 0).withPgBinaries(pg))) {
            BenchApi api = new BenchApi(server.baseUrl(), server.adminToken());
            BenchEndpoint ep = BenchEndpoint.create(server, api, null);
            Path script = Files.writeString(home.resolve("select1.sql"), "SELECT 1;\n");
            Map<String, String> token = Map.of("PGPASSWORD", ep.token());
            String socket = "host=" + ep.socketDir() + " dbname=databricks_postgres user=" + Defaults.SYSTEM_ROLE;
            String proxied = "host=" + ep.host() + " hostaddr=127.0.0.1 port=" + server.pgPort() + " dbname=databricks_postgres user=" + USER
                    + " sslmode=require";
            String pooled = ep.pooledHost().isEmpty() ? null : "host=" + ep.pooledHost() + " hostaddr=127.0.0.1 port=" + server.pgPort()
                    + " dbname=databricks_postgres user=" + USER + " sslmode=require";
            System.out.println(tlsSummary(server.pgPort(), ep.host()));
            for (int i = 0; i < 50; i++) {
                BenchApi.selectOneThroughProxy(server.pgPort(), USER, ep.uid(), ep.token()); // JIT warm
            }
            String[] names = {"socket", "proxy", "pooled host"};
            String[] conns = {socket, proxied, pooled};
            List<Map<String, String>> envs = List.of(Map.of(), token, token);
            double[][] connectMs = new double[rounds][names.length];
            double[][] tps = new double[rounds][names.length];
            double[] handshakes = new double[rounds];
            List<Double> jdbcMs = new ArrayList<>();
            for (int r = 0; r < rounds; r++) {
                for (int n = 0; n < names.length; n++) {
                    if (conns[n] == null) {
                        continue;
                    }
                    String out = BenchApi.run(envs.get(n), "pgbench", "-n", "-C", "-c", "1", "-T", Integer.toString(seconds), "-f",
                            script.toString(), conns[n]);
                    tps[r][n] = BenchApi.tps(out);
                    connectMs[r][n] = number(out, "average connection time = ([0-9.]+) ms");
                }
                handshakes[r] = handshakesPerSecond(server.pgPort(), seconds);
                for (int i = 0; i < jdbc; i++) {
                    long t0 = System.nanoTime();
                    BenchApi.selectOneThroughProxy(server.pgPort(), USER, ep.uid(), ep.token());
                    jdbcMs.add((System.nanoTime() - t0) / 1e6);
                }
            }
            for (int r = 0; r < rounds; r++) {
                StringBuilder line = new StringBuilder("round " + (r + 1) + ", pgbench -C -c 1 -T " + seconds + " (SELECT 1):");
                for (int n = 0; n < names.length; n++) {
                    line.append(String.format(" %s %.0f tps (connect %.2f ms);", names[n], tps[r][n], connectMs[r][n]));
                }
                line.append(String.format(" proxy/socket %.2f, pooled/socket %.2f; TLS handshakes alone %.0f/s", tps[r][1] / tps[r][0],
                        tps[r][2] / tps[r][0], handshakes[r]));
                System.out.println(line);
            }
            System.out.printf("pgjdbc connect + SELECT 1 through the proxy, n=%d: p50 %.2f ms%n", jdbcMs.size(), ControlPlaneBench.pct(jdbcMs, 50));
        }
    }

    /** The negotiated protocol, cipher, key-exchange group and certificate key of a libpq-like client's handshake. */
    private static String tlsSummary(int port, String host) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("openssl", "s_client", "-starttls", "postgres", "-connect", "127.0.0.1:" + port,
                "-servername", host, "-msg").redirectErrorStream(true);
        Process p = pb.start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes());
        p.waitFor();
        List<String> kept = new ArrayList<>();
        for (String line : out.split("\n")) {
            String l = line.trim();
            if (l.startsWith("New,") || l.startsWith("Protocol") || l.startsWith("Cipher") || l.startsWith("Server Temp Key") || l.startsWith("Peer signature")
                    || l.startsWith("Server public key") || l.contains("HelloRetryRequest") || l.contains("Certificate chain")
                    || l.matches("^\\d+ s:.*")) {
                kept.add(l);
            }
        }
        long serverHellos = out.lines().filter(l -> l.contains("ServerHello")).count();
        return "tls (openssl s_client -starttls postgres): " + String.join("; ", kept) + "; ServerHello messages: " + serverHellos
                + " (2 would be a HelloRetryRequest)";
    }

    /** Full TLS handshakes per second, one at a time, a ClientHello straight away (PostgreSQL 17's direct TLS). */
    private static double handshakesPerSecond(int port, int seconds) throws Exception {
        String out = BenchApi.run(Map.of(), "openssl", "s_time", "-connect", "127.0.0.1:" + port, "-new", "-time", Integer.toString(seconds));
        Matcher m = Pattern.compile("(\\d+) connections in ([0-9.]+) real seconds").matcher(out);
        if (!m.find()) {
            throw new IllegalStateException("no rate in openssl s_time's output:\n" + out);
        }
        return Long.parseLong(m.group(1)) / Double.parseDouble(m.group(2));
    }

    private static double number(String out, String regex) {
        Matcher m = Pattern.compile(regex).matcher(out);
        return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
    }
}
