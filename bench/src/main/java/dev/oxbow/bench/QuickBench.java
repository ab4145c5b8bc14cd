package dev.oxbow.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.oxbow.controlplane.resource.Defaults;
import dev.oxbow.server.OxbowServer;
import dev.oxbow.server.ServerConfig;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The serverless figures in about a minute, each printed beside its goal (issue 24), so a change to compute,
 * proxy or storage can be checked before it is finished: wake from IDLE (server side and through the proxy),
 * connect on a running endpoint, project create, branch create, and the proxy/direct pgbench ratio.
 * Usage: {@code QuickBench [creates] [connects] [wakes] [pgbench-seconds]}.
 */
public final class QuickBench {
    private static final String USER = "admin@oxbow.local";

    public static void main(String[] args) throws Exception {
        int creates = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        int connects = args.length > 1 ? Integer.parseInt(args[1]) : 100;
        int wakes = args.length > 2 ? Integer.parseInt(args[2]) : 10;
        int seconds = args.length > 3 ? Integer.parseInt(args[3]) : 5;
        Path home = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "oxbow-quickbench-");
        Path pg = Path.of(System.getProperty("java.io.tmpdir"), "oxbow-test-pg");
        List<Figure> figures = new ArrayList<>();
        try (OxbowServer server = OxbowServer.start(ServerConfig.defaults(home).withApiPort(0).withPg("127.0.0.1", 0).withPgBinaries(pg))) {
            BenchApi api = new BenchApi(server.baseUrl(), server.adminToken());
            api.await("POST", "/api/2.0/postgres/projects?project_id=quick", "{}"); // warm-up: binaries unpacked, JIT warm

            List<Double> projectMs = new ArrayList<>();
            for (int i = 0; i < creates; i++) {
                long t0 = System.nanoTime();
                api.await("POST", "/api/2.0/postgres/projects?project_id=quick-" + i, "{}");
                projectMs.add(msSince(t0));
            }
            figures.add(Figure.median("project create -> primary ACTIVE", projectMs, 800));

            api.await("POST", "/api/2.0/postgres/projects/quick/branches?branch_id=warm", branchSpec("production"));
            List<Double> branchMs = new ArrayList<>();
            for (int i = 0; i < creates; i++) {
                long t0 = System.nanoTime();
                api.await("POST", "/api/2.0/postgres/projects/quick/branches?branch_id=b-" + i, branchSpec("production"));
                branchMs.add(msSince(t0));
            }
            figures.add(Figure.median("branch create -> READY, endpoint ACTIVE (empty db)", branchMs, 500));
            // the branches' first snapshots (copies of their data on plain storage) start after a quiet second and ran
            // beside the connect figures below (pgjdbc's connect read 19 ms instead of 12); wait for them
            for (int i = 0; i < creates; i++) {
                server.controlPlane().firstSnapshots().await("projects/quick/branches/b-" + i);
            }
            server.controlPlane().firstSnapshots().await("projects/quick/branches/warm");

            String epName = "projects/quick/branches/production/endpoints/primary";
            JsonNode ep = api.json("GET", "/api/2.0/postgres/" + epName, null);
            String uid = ep.path("uid").asText();
            String cred = api.json("POST", "/api/2.0/postgres/credentials", "{\"endpoint\":\"" + epName + "\"}").path("token").asText();
            var cp = server.controlPlane();

            // uncounted connects first: pgjdbc's and the JDK TLS stack's code is still interpreted for the first dozens
            // (the first 40 connects of a fresh JVM took 21 ms each, later ones 12 ms)
            for (int i = 0; i < 40; i++) {
                query(server.pgPort(), uid, cred);
            }
            List<Double> connectMs = new ArrayList<>();
            for (int i = 0; i < connects; i++) {
                long t0 = System.nanoTime();
                query(server.pgPort(), uid, cred);
                connectMs.add(msSince(t0));
            }
            figures.add(Figure.median("connect + first query, running endpoint (TLS, token)", connectMs, 10));
            figures.add(libpqConnect(server.pgPort(), ep.path("status").path("hosts").path("host").asText(), cred, home));
            figures.addAll(connectParts(server, cp, epName, uid, cred, connects));

            List<Double> wakeMs = new ArrayList<>();
            List<Double> coldMs = new ArrayList<>();
            for (int i = 0; i < wakes; i++) {
                suspend(cp, epName);
                long t0 = System.nanoTime();
                cp.activity().acquire(uid).get(60, TimeUnit.SECONDS);
                wakeMs.add(msSince(t0));
                cp.activity().release(uid);

                suspend(cp, epName);
                t0 = System.nanoTime();
                query(server.pgPort(), uid, cred);
                coldMs.add(msSince(t0));
            }
            figures.add(Figure.median("wake IDLE -> accepting (server side)", wakeMs, 60));
            figures.add(Figure.p99("wake IDLE -> accepting (server side)", wakeMs, 150));
            figures.add(Figure.median("cold start IDLE -> first query via proxy", coldMs, Double.NaN));

            var record = cp.store().endpoints().get(epName).orElseThrow();
            Path socketDir = cp.config().layout().socketDir(record);
            BenchApi.run(Map.of(), "pgbench", "-i", "-q", "-s", "2", "-h", socketDir.toString(), "-U", Defaults.SYSTEM_ROLE, "databricks_postgres");
            String proxied = "host=" + ep.path("status").path("hosts").path("host").asText() + " hostaddr=127.0.0.1 port=" + server.pgPort()
                    + " dbname=databricks_postgres user=" + USER + " sslmode=require";
            String direct = "host=" + socketDir + " dbname=databricks_postgres user=" + Defaults.SYSTEM_ROLE;
            double d = pgbench(Map.of(), direct, seconds);
            double p = pgbench(Map.of("PGPASSWORD", cred), proxied, seconds);
            d += pgbench(Map.of(), direct, seconds);
            p += pgbench(Map.of("PGPASSWORD", cred), proxied, seconds);
            figures.add(new Figure("proxy / direct, pgbench -S -c 8, 2 x " + seconds + " s", "ratio", p / d, 0.9, false));
            double cold;
            double warmed;
            try {
                createHitProbe(socketDir);
                // peer first: the block list autoprewarm wrote at the suspend removed, so nothing is read back
                cold = hitRatioAfterWake(cp, epName, uid, socketDir, false);
                warmed = hitRatioAfterWake(cp, epName, uid, socketDir, true);
            } catch (Exception e) {
                System.err.println("cache hit ratio not measured: " + e);
                cold = Double.NaN;
                warmed = Double.NaN;
            }
            figures.add(new Figure("cache hit ratio, first 1000 lookups after a wake (autoprewarm)", "ratio", warmed, Double.NaN, false));
            figures.add(new Figure("  peer: the same wake without the block list", "ratio", cold, Double.NaN, false));
        }
        System.out.printf("%-62s %10s %10s  %s%n", "figure", "measured", "goal", "");
        for (Figure f : figures) {
            System.out.println(f.line());
        }
    }

    /**
     * The same connect from libpq (OpenSSL's TLS client, as psql and most drivers use): {@code pgbench -C -c 1} running
     * {@code SELECT 1} for 3 s, one connection at a time, so its "average connection time" is one connect's latency.
     * pgjdbc's figure above adds the JDK's own TLS client (a new SSLContext per connection) and pgjdbc's set-up.
     */
    private static Figure libpqConnect(int port, String host, String token, Path home) throws Exception {
        Path script = Files.writeString(home.resolve("select1.sql"), "SELECT 1;\n");
        String out = BenchApi.run(Map.of("PGPASSWORD", token), "pgbench", "-n", "-C", "-c", "1", "-T", "3", "-f", script.toString(),
                "host=" + host + " hostaddr=127.0.0.1 port=" + port + " dbname=databricks_postgres user=" + USER + " sslmode=require");
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("average connection time = ([0-9.]+) ms").matcher(out);
        return new Figure("  variant: whole connect, libpq (pgbench -C -c 1, 3 s)", "mean ms", m.find() ? Double.parseDouble(m.group(1))
                : Double.NaN, 10, true);
    }

    /**
     * Where a connect spends its time, part by part, each measured on its own (no goal; their sum next to the whole
     * shows what the proxy's own steps cost): the client's TLS handshake with the proxy, the metadata reads the proxy's
     * login checks make, and a backend's start on the compute's socket (fork, authentication, first query).
     */
    private static List<Figure> connectParts(OxbowServer server, dev.oxbow.controlplane.ControlPlane cp, String epName, String uid, String token,
                                             int n) throws Exception {
        List<Double> tls = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            // a new context each time, as pgjdbc and libpq make one per connection (so no session resumption)
            tls.add(tlsHandshake(server.pgPort(), trustingContext(), t0));
        }
        // one context for all: the JDK client resumes the session (a TLS 1.3 ticket), what a client keeping its context gets
        javax.net.ssl.SSLContext kept = trustingContext();
        tlsHandshake(server.pgPort(), kept, System.nanoTime());
        List<Double> resumed = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            resumed.add(tlsHandshake(server.pgPort(), kept, System.nanoTime()));
        }
        // pgjdbc's own part: without assumeMinServerVersion it sends "SET extra_float_digits = 3" and "SET application_name"
        // as a round trip of its own after the login (for a server it has not yet seen the version of)
        List<Double> assumed = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            java.util.Properties p = new java.util.Properties();
            p.setProperty("user", USER);
            p.setProperty("password", token);
            p.setProperty("sslmode", "require");
            p.setProperty("options", "endpoint=" + uid);
            p.setProperty("assumeMinServerVersion", "16");
            try (Connection c = java.sql.DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + server.pgPort() + "/databricks_postgres", p);
                 ResultSet rs = c.createStatement().executeQuery("SELECT 1")) {
                rs.next();
            }
            assumed.add(msSince(t0));
        }
        var store = cp.store();
        var ep = store.endpoints().get(epName).orElseThrow();
        List<Double> reads = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            var e = cp.activity().endpointByUid(uid).orElseThrow();
            var branch = store.branches().get(e.parentName()).orElseThrow();
            var project = store.projects().get(dev.oxbow.metadata.Project.nameOf(e.projectId())).orElseThrow();
            store.roles().list(branch.name()).stream().filter(r -> r.postgresRole().equals(USER)).findFirst().orElseThrow();
            var holder = cp.identity().byRoleName(USER).orElseThrow();
            store.projects().get(project.name()).orElseThrow();
            cp.access().level(holder.principal(), project);
            reads.add(msSince(t0));
        }
        Path socketDir = cp.config().layout().socketDir(ep);
        List<Double> backend = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            try (Connection c = dev.oxbow.compute.PgConnections.openForOxbow(socketDir, "databricks_postgres", Defaults.SYSTEM_ROLE);
                 ResultSet rs = c.createStatement().executeQuery("SELECT 1")) {
                rs.next();
            }
            backend.add(msSince(t0));
        }
        return List.of(Figure.median("  part: TLS handshake to the proxy (JDK, new context)", tls, Double.NaN),
                Figure.median("  part: TLS handshake, context kept (session resumed)", resumed, Double.NaN),
                Figure.median("  variant: whole connect, pgjdbc assumeMinServerVersion=16", assumed, Double.NaN),
                Figure.median("  part: login metadata reads (7 SQLite reads)", reads, Double.NaN),
                Figure.median("  part: backend on the socket + SELECT 1 (no proxy)", backend, Double.NaN));
    }

    /**
     * Suspends the endpoint and waits until its server is really stopped: a suspend while a background job (the branch
     * snapshots queued after the creates) leases the compute marks it IDLE but leaves it running, and the next "wake"
     * would then measure nothing.
     */
    static void suspend(dev.oxbow.controlplane.ControlPlane cp, String epName) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        while (true) {
            var ep = cp.store().endpoints().get(epName).orElseThrow();
            cp.computes().suspend(ep);
            if (!cp.computes().running(ep)) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("endpoint " + epName + " stays leased: " + cp.computes().leases(ep));
            }
            Thread.sleep(50); // a lease ends when its job does; nothing to wait on from here
        }
    }

    /** SSLRequest, then a TLS handshake with the proxy on {@code ctx}; milliseconds since {@code t0}. */
    private static double tlsHandshake(int port, javax.net.ssl.SSLContext ctx, long t0) throws Exception {
        try (java.net.Socket raw = new java.net.Socket("127.0.0.1", port)) {
            raw.setTcpNoDelay(true);
            var out = new java.io.DataOutputStream(raw.getOutputStream());
            out.writeInt(8);
            out.writeInt(80877103); // SSLRequest
            out.flush();
            if (raw.getInputStream().read() != 'S') {
                throw new IllegalStateException("the proxy refused TLS");
            }
            try (javax.net.ssl.SSLSocket tlsSocket = (javax.net.ssl.SSLSocket) ctx.getSocketFactory().createSocket(raw, "127.0.0.1", port, false)) {
                tlsSocket.startHandshake();
                double ms = msSince(t0);
                // a TLS 1.3 ticket arrives after the handshake (outside the figure): read it so the kept context can resume
                tlsSocket.setSoTimeout(1);
                try {
                    tlsSocket.getInputStream().read();
                } catch (java.net.SocketTimeoutException waiting) {
                    // expected: the proxy sends nothing before the startup packet
                }
                return ms;
            }
        }
    }

    private static javax.net.ssl.SSLContext trustingContext() throws Exception {
        javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
        ctx.init(null, new javax.net.ssl.TrustManager[]{new javax.net.ssl.X509TrustManager() {
            public void checkClientTrusted(java.security.cert.X509Certificate[] c, String a) { }
            public void checkServerTrusted(java.security.cert.X509Certificate[] c, String a) { }
            public java.security.cert.X509Certificate[] getAcceptedIssuers() { return new java.security.cert.X509Certificate[0]; }
        }}, null);
        return ctx;
    }

    /** A 40 MB table with a key, well inside shared_buffers, read whole once so all of it is cached before a suspend. */
    private static void createHitProbe(Path socketDir) throws Exception {
        try (Connection c = dev.oxbow.compute.PgConnections.openForOxbow(socketDir, "databricks_postgres", Defaults.SYSTEM_ROLE);
             var st = c.createStatement()) {
            st.execute("CREATE TABLE public.hit_probe AS SELECT g AS id, repeat('x', 150) AS pad FROM generate_series(1, 200000) g");
            st.execute("ALTER TABLE public.hit_probe ADD PRIMARY KEY (id)");
            st.execute("CHECKPOINT");
        }
    }

    /**
     * Shared-buffer hit ratio of the first 1,000 key lookups (random keys) after a suspend and a wake, counted by the
     * lookups' own transaction (pg_stat_get_xact_blocks_*: the prewarm worker's own reads are not in it). The table is
     * read whole just before the suspend; without {@code keepBlockList} the block list the suspend wrote is deleted.
     */
    private static double hitRatioAfterWake(dev.oxbow.controlplane.ControlPlane cp, String epName, String uid, Path socketDir,
                                            boolean keepBlockList) throws Exception {
        try (Connection c = dev.oxbow.compute.PgConnections.openForOxbow(socketDir, "databricks_postgres", Defaults.SYSTEM_ROLE);
             var st = c.createStatement()) {
            st.execute("SELECT count(*) FROM public.hit_probe");
            st.execute("SET enable_seqscan = off"); // and the key's pages, through the index
            st.execute("SELECT count(*) FROM public.hit_probe WHERE id > 0");
        }
        suspend(cp, epName);
        var ep = cp.store().endpoints().get(epName).orElseThrow();
        var branch = cp.store().branches().get(ep.parentName()).orElseThrow();
        var project = cp.store().projects().get(dev.oxbow.metadata.Project.nameOf(ep.projectId())).orElseThrow();
        Path blockList = cp.config().layout().dataDir(project, branch, ep).resolve("autoprewarm.blocks");
        if (!keepBlockList) {
            Files.deleteIfExists(blockList);
        }
        cp.activity().acquire(uid).get(60, TimeUnit.SECONDS);
        try {
            java.util.Random random = new java.util.Random(7);
            try (Connection c = dev.oxbow.compute.PgConnections.openForOxbow(socketDir, "databricks_postgres", Defaults.SYSTEM_ROLE);
                 var ps = c.prepareStatement("SELECT pad FROM public.hit_probe WHERE id = ?")) {
                c.setAutoCommit(false);
                for (int i = 0; i < 1000; i++) {
                    ps.setInt(1, 1 + random.nextInt(200_000));
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                    }
                }
                try (ResultSet rs = c.createStatement().executeQuery("SELECT sum(pg_stat_get_xact_blocks_hit(oid)), "
                        + "sum(pg_stat_get_xact_blocks_fetched(oid)) FROM pg_class WHERE oid IN ('public.hit_probe'::regclass, 'public.hit_probe_pkey'::regclass)")) {
                    rs.next();
                    long hit = rs.getLong(1);
                    long fetched = rs.getLong(2);
                    c.rollback();
                    return fetched == 0 ? Double.NaN : hit / (double) fetched;
                }
            }
        } finally {
            cp.activity().release(uid);
        }
    }

    /** One measured figure and its goal: a ceiling when {@code lowerIsBetter} (latencies), else a floor (ratios); NaN: no goal. */
    record Figure(String what, String stat, double value, double goal, boolean lowerIsBetter) {
        static Figure median(String what, List<Double> ms, double goalMs) {
            return new Figure(what + ", n=" + ms.size(), "p50 ms", ControlPlaneBench.pct(ms, 50), goalMs, true);
        }

        static Figure p99(String what, List<Double> ms, double goalMs) {
            return new Figure(what + ", n=" + ms.size(), "p99 ms", ControlPlaneBench.pct(ms, 99), goalMs, true);
        }

        String line() {
            String verdict = Double.isNaN(goal) ? "" : (lowerIsBetter ? value <= goal : value >= goal) ? "ok" : "MISSED";
            String goalText = Double.isNaN(goal) ? "-" : (lowerIsBetter ? "<= " : ">= ") + fmt(goal);
            return String.format("%-62s %10s %10s  %s %s", what, fmt(value), goalText, stat, verdict);
        }

        private static String fmt(double v) {
            return v < 10 ? String.format("%.2f", v) : String.format("%.0f", v);
        }
    }

    private static String branchSpec(String source) {
        return "{\"spec\":{\"source_branch\":\"projects/quick/branches/" + source + "\",\"no_expiry\":true}}";
    }

    private static double msSince(long t0) {
        return (System.nanoTime() - t0) / 1e6;
    }

    private static void query(int port, String uid, String token) throws Exception {
        BenchApi.selectOneThroughProxy(port, USER, uid, token);
    }

    private static double pgbench(Map<String, String> env, String conn, int seconds) throws Exception {
        String out = BenchApi.run(env, "pgbench", "-S", "-n", "-c", "8", "-j", "2", "-T", Integer.toString(seconds), conn);
        return BenchApi.tps(out);
    }
}
