package dev.oxbow.bench;

import dev.oxbow.compute.PoolerBinary;
import dev.oxbow.compute.RunningPooler;
import dev.oxbow.controlplane.resource.Defaults;
import dev.oxbow.server.OxbowServer;
import dev.oxbow.server.ServerConfig;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The relay against its peers in one run, on one compute pinned at {@code cu} (default 8: 2 cores): pgbench select-only through Oxbow's proxy
 * (TLS, token), on the compute's unix socket, and through a PgBouncer in session mode with client TLS (the same
 * PgBouncer binary the pooled hosts use, run as the compute's OS user, EC P-256 certificate like the proxy's), for
 * {@code -c 8}, {@code -c 64} and a new connection per transaction ({@code -C -c 2}); rounds interleaved. Also through
 * the proxy's pooled host ({@code <uid>-pooler}: the proxy in front of the endpoint's own PgBouncer), which like the peer
 * PgBouncer reuses server connections, so its {@code -C} row is the like-for-like one against PgBouncer-TLS.
 * Prints the CPU per transaction of the server's JVM, its proxy event loops and the PgBouncers beside the tps.
 * Usage: {@code RelayBench [seconds] [rounds] [cu] [modes, e.g. c8,c64,C] [targets, e.g. proxy,pgbouncer-tls]}; with
 * {@code -Drelaybench.profile=proxy} (and async-profiler) the first round of that target is profiled.
 */
public final class RelayBench {
    private static final String USER = "admin@oxbow.local";
    /** The proxy's event-loop threads (named in ProxyServer). */
    private static final String PROXY_LOOPS = "oxbow-proxy-loop";

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        // 8 CU is 2 cores at the default 0.25 cores per CU: the compute is not throttled on a 2-core machine
        double cu = args.length > 2 ? Double.parseDouble(args[2]) : 8;
        Path home = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "oxbow-relaybench-");
        Path pg = Path.of(System.getProperty("java.io.tmpdir"), "oxbow-test-pg");
        try (OxbowServer server = OxbowServer.start(ServerConfig.defaults(home).withApiPort(0).withPg("127.0.0.1", 0).withPgBinaries(pg))) {
            BenchApi api = new BenchApi(server.baseUrl(), server.adminToken());
            BenchEndpoint ep = BenchEndpoint.create(server, api, cu);
            ep.pgbenchInit();
            var cp = server.controlPlane();
            String uid = ep.uid();
            String host = ep.host();
            String pooledHost = ep.pooledHost();
            String cred = ep.token();
            Path socketDir = ep.socketDir();

            String socket = "host=" + socketDir + " dbname=databricks_postgres user=" + Defaults.SYSTEM_ROLE;
            String proxied = "host=" + host + " hostaddr=127.0.0.1 port=" + server.pgPort() + " dbname=databricks_postgres user=" + USER
                    + " sslmode=require";
            Map<String, String> token = Map.of("PGPASSWORD", cred);
            String pooledProxied = pooledHost.isEmpty() ? null : "host=" + pooledHost + " hostaddr=127.0.0.1 port=" + server.pgPort()
                    + " dbname=databricks_postgres user=" + USER + " sslmode=require";
            Process bouncer = null;
            String bouncerTls = null;
            var binary = PoolerBinary.find();
            if (binary.isPresent()) {
                RunningPooler pooler = cp.computes().runtime().awaitPooler(uid, Duration.ofSeconds(30)).orElseThrow();
                int port = freePort();
                // beside, not inside, Oxbow's home (0700): the compute's OS user must reach it
                bouncer = startPeer(binary.get().path(), pooler, socketDir, Files.createTempDirectory("oxbow-relaybench-pgbouncer-"), port);
                bouncerTls = "host=127.0.0.1 port=" + port + " dbname=databricks_postgres user=" + USER + " sslmode=require";
            }
            long bouncerPid = bouncer == null ? -1 : bouncer.pid();
            long poolerPid = cp.computes().runtime().awaitPooler(uid, Duration.ofSeconds(30)).map(RunningPooler::pid).orElse(-1L);
            long jvmPid = ProcessHandle.current().pid();
            try {
                String[] names = {"socket", "proxy", "pgbouncer-tls", "pooled"};
                String[] conns = {socket, proxied, bouncerTls, bouncerTls == null ? null : pooledProxied};
                List<Map<String, String>> envs = List.of(Map.of(), token, Map.of(), token);
                String[][] modes = selectModes(args.length > 3 ? args[3] : "c8,c64,C");
                double[][] tps = new double[modes.length][names.length];
                List<String> targets = List.of((args.length > 4 ? args[4] : String.join(",", names)).split(","));
                // CPU of the door per transaction (µs): [mode][target][0 the server's JVM, 1 its proxy loops, 2 the peer PgBouncer,
                // 3 the pooled host's PgBouncer], summed over rounds and divided by the rounds' transactions
                long[][][] cpu = new long[modes.length][names.length][4];
                long[][] txns = new long[modes.length][names.length];
                // warm up every door first: the proxy's JIT compiles its relay path in its first seconds, which would
                // otherwise be counted against whichever round comes first (C2 threads were a third of a cold round's CPU)
                for (int n = 0; n < names.length; n++) {
                    if (conns[n] != null && targets.contains(names[n])) {
                        pgbench(envs.get(n), conns[n], Math.min(5, seconds), "-c", "8");
                    }
                }
                for (int r = 0; r < rounds; r++) {
                    for (int m = 0; m < modes.length; m++) {
                        for (int n = 0; n < names.length; n++) {
                            if (conns[n] != null && targets.contains(names[n])) {
                                boolean profiled = r == 0 && m == 0 && names[n].equals(System.getProperty("relaybench.profile"));
                                if (profiled) {
                                    profiler("start,event=" + System.getProperty("relaybench.profile.event", "cpu,interval=1ms") + ",threads");
                                }
                                var groupsBefore = CpuMeter.threadGroupNanos();
                                long allocatedBefore = CpuMeter.threadAllocatedBytes(PROXY_LOOPS);
                                long[] before = {CpuMeter.processNanos(jvmPid), CpuMeter.threadNanos(PROXY_LOOPS),
                                        CpuMeter.processNanos(bouncerPid), CpuMeter.processNanos(poolerPid)};
                                Pgbench run = pgbench(envs.get(n), conns[n], seconds, modes[m]);
                                long[] after = {CpuMeter.processNanos(jvmPid), CpuMeter.threadNanos(PROXY_LOOPS),
                                        CpuMeter.processNanos(bouncerPid), CpuMeter.processNanos(poolerPid)};
                                long allocated = CpuMeter.threadAllocatedBytes(PROXY_LOOPS) - allocatedBefore;
                                if (n == 1 || n == 3) {
                                    threadsOfRound(names[n] + " " + String.join(" ", modes[m]), groupsBefore, CpuMeter.threadGroupNanos(),
                                            run.transactions(), allocated);
                                }
                                for (int k = 0; k < 4; k++) {
                                    cpu[m][n][k] += after[k] - before[k];
                                }
                                if (profiled) {
                                    profiler("stop,collapsed,file=" + System.getProperty("relaybench.profile.out", "relay-profile.collapsed"));
                                }
                                txns[m][n] += run.transactions();
                                tps[m][n] += run.tps() / rounds;
                            }
                        }
                    }
                }
                System.out.printf("load average during the run: %s%n", Files.readString(Path.of("/proc/loadavg")).trim());
                for (int m = 0; m < modes.length; m++) {
                    System.out.printf("compute %.2g CU, pgbench -S %s (%d x %d s, interleaved): socket %.0f tps, proxy %.0f tps, pgbouncer-tls %.0f tps,"
                                    + " pooled host %.0f tps; proxy/pgbouncer-tls %.2f, proxy/socket %.2f, pooled/pgbouncer-tls %.2f, pooled/socket %.2f%n",
                            cu, String.join(" ", modes[m]), rounds, seconds, tps[m][0], tps[m][1], tps[m][2], tps[m][3],
                            tps[m][1] / tps[m][2], tps[m][1] / tps[m][0], tps[m][3] / tps[m][2], tps[m][3] / tps[m][0]);
                    System.out.printf("  CPU per transaction (µs): server JVM during socket %.1f (its background), during proxy %.1f"
                                    + " (proxy event loops %.1f); peer PgBouncer during pgbouncer-tls %.1f; during pooled host: server JVM %.1f"
                                    + " (loops %.1f) + the endpoint's PgBouncer %.1f; proxy loops/PgBouncer-TLS %.2f%n",
                            perTxn(cpu[m][0][0], txns[m][0]), perTxn(cpu[m][1][0], txns[m][1]), perTxn(cpu[m][1][1], txns[m][1]),
                            perTxn(cpu[m][2][2], txns[m][2]), perTxn(cpu[m][3][0], txns[m][3]), perTxn(cpu[m][3][1], txns[m][3]),
                            perTxn(cpu[m][3][3], txns[m][3]),
                            perTxn(cpu[m][1][1], txns[m][1]) / perTxn(cpu[m][2][2], txns[m][2]));
                }
            } finally {
                if (bouncer != null) {
                    bouncer.destroy();
                    bouncer.waitFor();
                }
            }
        }
    }

    /** A PgBouncer in session mode with client TLS on loopback, in front of the compute's socket, as the compute's OS user. */
    private static Process startPeer(Path binary, RunningPooler pooler, Path socketDir, Path dir, int port) throws Exception {
        Files.createDirectories(dir);
        BenchApi.run(Map.of(), "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", dir.resolve("server.key").toString(), "-out", dir.resolve("server.crt").toString(), "-days", "1",
                "-subj", "/CN=localhost");
        Files.writeString(dir.resolve("users.txt"), "");
        Files.writeString(dir.resolve("pgbouncer.ini"), "[databases]\n* = host='" + socketDir + "' port=5432\n[pgbouncer]\n"
                + "listen_addr = 127.0.0.1\nlisten_port = " + port + "\nunix_socket_dir =\n"
                + "auth_type = trust\nauth_file = " + dir.resolve("users.txt") + "\nauth_user = " + RunningPooler.ROLE + "\n"
                + "auth_query = SELECT rolname, NULL::text FROM pg_catalog.pg_roles WHERE rolname = $1 AND rolcanlogin\n"
                + "pool_mode = session\nmax_client_conn = 200\ndefault_pool_size = 80\nmax_db_connections = 80\n"
                + "client_tls_sslmode = require\nclient_tls_cert_file = " + dir.resolve("server.crt") + "\n"
                + "client_tls_key_file = " + dir.resolve("server.key") + "\n"
                + "ignore_startup_parameters = extra_float_digits\nlog_connections = 0\nlog_disconnections = 0\n");
        String owner = ownerOf(pooler.pid());
        List<String> command = new ArrayList<>();
        if (!owner.isEmpty()) {
            String[] ids = owner.split(":", -1);
            BenchApi.run(Map.of(), "chown", "-R", ids[0] + ":" + ids[1], dir.toString());
            command.addAll(List.of("setpriv", "--reuid=" + ids[0], "--regid=" + ids[1],
                    ids[2].isEmpty() ? "--clear-groups" : "--groups=" + ids[2]));
        }
        command.addAll(List.of(binary.toString(), dir.resolve("pgbouncer.ini").toString()));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve("pgbouncer.log").toFile()).start();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < deadline) {
            try (var s = new java.net.Socket("127.0.0.1", port)) {
                return p;
            } catch (java.io.IOException e) {
                if (!p.isAlive()) {
                    break;
                }
                Thread.sleep(20);
            }
        }
        throw new IllegalStateException("peer pgbouncer did not start:\n" + Files.readString(dir.resolve("pgbouncer.log")));
    }

    /** "uid:gid:groups" of a process (the pooler's: it reaches the compute's socket), or "" when not root. */
    private static String ownerOf(long pid) throws Exception {
        if (!"root".equals(System.getProperty("user.name"))) {
            return "";
        }
        String uid = null;
        String gid = null;
        String groups = "";
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("Uid:")) {
                uid = line.split("\\s+")[1];
            } else if (line.startsWith("Gid:")) {
                gid = line.split("\\s+")[1];
            } else if (line.startsWith("Groups:")) {
                groups = String.join(",", line.substring("Groups:".length()).trim().split("\\s+")).replaceAll("^,$", "");
            }
        }
        return uid + ":" + gid + ":" + groups;
    }

    private static int freePort() throws Exception {
        try (var s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** What one pgbench round did. */
    record Pgbench(double tps, long transactions) {}

    static Pgbench pgbench(Map<String, String> env, String conn, int seconds, String... mode) throws Exception {
        List<String> command = new ArrayList<>(List.of("pgbench", "-S", "-n", "-j", "2", "-T", Integer.toString(seconds)));
        command.addAll(List.of(mode));
        command.add(conn);
        String out = BenchApi.run(env, command.toArray(String[]::new));
        java.util.regex.Matcher done = java.util.regex.Pattern.compile("number of transactions actually processed: ([0-9]+)").matcher(out);
        return new Pgbench(BenchApi.tps(out), done.find() ? Long.parseLong(done.group(1)) : 0);
    }

    /**
     * A command to async-profiler (its jar on the class path, {@code -Drelaybench.profile.lib} naming its native library):
     * the profile of one round, for finding where the proxy's CPU per message goes.
     */
    private static void profiler(String command) throws Exception {
        Class<?> type = Class.forName("one.profiler.AsyncProfiler");
        Object profiler = type.getMethod("getInstance", String.class).invoke(null, System.getProperty("relaybench.profile.lib"));
        System.out.println("profiler: " + type.getMethod("execute", String.class).invoke(profiler, command).toString().trim());
    }

    /** Which of the server JVM's threads spent the CPU of a round through the proxy, per transaction, and what its loops allocated. */
    private static void threadsOfRound(String round, Map<String, Long> before, Map<String, Long> after, long transactions, long loopBytes) {
        StringBuilder line = new StringBuilder("  server JVM threads during " + round + " (µs/txn):");
        after.entrySet().stream().map(e -> Map.entry(e.getKey(), e.getValue() - before.getOrDefault(e.getKey(), 0L)))
                .filter(e -> e.getValue() > 0).sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(8)
                .forEach(e -> line.append(String.format(" %s %.1f;", e.getKey(), perTxn(e.getValue(), transactions))));
        line.append(String.format(" loops allocated %.0f B/txn", transactions == 0 ? Double.NaN : (double) loopBytes / transactions));
        System.out.println(line);
    }

    private static double perTxn(long nanos, long transactions) {
        return transactions == 0 ? Double.NaN : nanos / 1000.0 / transactions;
    }

    /** "c8,c64,C": pgbench -c 8, -c 64, and -C -c 2 (a new connection per transaction). */
    private static String[][] selectModes(String list) {
        return java.util.Arrays.stream(list.split(",")).map(String::trim).map(m -> switch (m) {
            case "c8" -> new String[]{"-c", "8"};
            case "c64" -> new String[]{"-c", "64"};
            case "C" -> new String[]{"-C", "-c", "2"};
            default -> throw new IllegalArgumentException("unknown mode " + m + " (c8, c64, C)");
        }).toArray(String[][]::new);
    }
}
