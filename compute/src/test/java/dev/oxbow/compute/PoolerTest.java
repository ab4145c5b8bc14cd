package dev.oxbow.compute;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.newsclub.net.unix.AFUNIXSocketFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

/** The per-endpoint PgBouncer on real PostgreSQL and a real PgBouncer (scripts/setup builds one). */
class PoolerTest {
    static final String APP = "app";
    private Path root;
    private LocalComputeRuntime runtime;
    private PoolerBinary binary;

    /** Skipped with a message where no PgBouncer is installed, unless under CI, where it must be. */
    static PoolerBinary requirePgBouncer() {
        var found = PoolerBinary.find();
        if (found.isEmpty() && "true".equals(System.getenv("CI"))) {
            throw new AssertionError("CI=true but no PgBouncer found (" + PoolerBinary.candidates() + "): scripts/setup builds one");
        }
        Assumptions.assumeTrue(found.isPresent(), "PgBouncer not installed (run scripts/setup); pooler tests skipped");
        return found.get();
    }

    @BeforeEach
    void setUp() throws Exception {
        binary = requirePgBouncer();
        root = TestPostgres.scratchDir();
        runtime = new LocalComputeRuntime(TestPostgres.binaries(), ProcessIdentities.shared(TestPostgres.identity()),
                new RestartPolicy(3, Duration.ofSeconds(60)), Cgroups.none(), java.util.Optional.of(binary), TestPostgres.SUPERUSER);
    }

    @AfterEach
    void tearDown() throws Exception {
        if (runtime != null) {
            runtime.close();
        }
        if (root != null) {
            TestPostgres.deleteTree(root);
        }
    }

    private ComputeSpec start(String uid, Map<String, String> settings) throws Exception {
        ComputeSpec spec = new ComputeSpec(uid, "tenant-a", 17, root.resolve(uid).resolve("pgdata"), root.resolve("s-" + uid), settings);
        runtime.initdb("tenant-a", 17, spec.dataDir(), TestPostgres.SUPERUSER);
        runtime.start(spec);
        // pooled clients log in as tenant roles: the superuser is kept from the pooler (pg_hba.conf)
        try (Connection c = PgConnections.open(spec.socketDir(), "postgres", TestPostgres.SUPERUSER); Statement s = c.createStatement()) {
            s.execute("CREATE ROLE " + APP + " LOGIN");
            s.execute("CREATE DATABASE " + APP + " OWNER " + APP);
        }
        return spec;
    }

    @Test
    void startsWithItsComputeAsItsIdentityOnAPrivateSocketAndStopsWithIt() throws Exception {
        ComputeSpec spec = start("ep-pa", Map.of("max_connections", "20"));
        RunningPooler pooler = runtime.awaitPooler("ep-pa", java.time.Duration.ofSeconds(15)).orElseThrow();
        assertThat(pooler.socketDir()).isEqualTo(root.resolve("s-ep-pa-pooler"));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(pooler.socketDir()))).isEqualTo("rwx------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(pooler.socketDir().resolve(PoolerConfig.PID_FILE))))
                .as("nothing of the pooler's is for others").isEqualTo("rw-------");
        String ini = Files.readString(pooler.socketDir().resolve(PoolerConfig.FILE));
        assertThat(ini).contains("pool_mode = transaction", "default_pool_size = 15", "listen_addr =\n", "max_client_conn = 10000");
        if (TestPostgres.identity().root()) {
            assertThat(Files.getOwner(pooler.socketDir()).getName()).isEqualTo("postgres");
            assertThat(uidOf(pooler.pid())).isEqualTo(TestPostgres.identity().uid());
        }
        try (Connection c = pooled(pooler, APP)) {
            assertThat(query(c, "SELECT current_user")).isEqualTo(APP);
            // a pooled session runs on a server connection of the compute's own socket
            assertThat(query(c, "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'")).isNotEmpty();

            // a suspend stops the server only: the pooler keeps its idle client, and the next start reuses it
            runtime.suspend("ep-pa");
            assertThat(runtime.find("ep-pa")).isEmpty();
            assertThat(runtime.pooler("ep-pa")).map(RunningPooler::pid).contains(pooler.pid());
            runtime.start(spec);
            assertThat(query(c, "SELECT current_user")).as("the same client, served by the restarted server").isEqualTo(APP);
            assertThat(runtime.awaitPooler("ep-pa", java.time.Duration.ofSeconds(15))).map(RunningPooler::pid).contains(pooler.pid());
            runtime.suspend("ep-pa");
        }
        // a stop ends the pooler even while the server is already down (suspended)
        runtime.stop("ep-pa");
        assertThat(runtime.pooler("ep-pa")).isEmpty();
        assertThat(ProcessHandle.of(pooler.pid()).map(ProcessHandle::isAlive).orElse(false)).as("pgbouncer exited").isFalse();

        // a suspend right behind a start lands while the new pooler is still starting (making its role on the server):
        // the two do not race, the pooler is not given up, and the next start serves its clients
        runtime.start(spec);
        runtime.suspend("ep-pa");
        RunningPooler again = runtime.awaitPooler("ep-pa", java.time.Duration.ofSeconds(15))
                .orElseThrow(() -> new AssertionError("the pooler started just before a suspend was given up"));
        runtime.start(spec);
        try (Connection c = pooled(again, APP)) {
            assertThat(query(c, "SELECT current_user")).isEqualTo(APP);
        }
    }

    /** The attack the pg_hba.conf order closes: the compute's OS user (its pooler's) logging in as Oxbow's superuser. */
    @Test
    void neitherThePoolerNorTheComputesUserLogsInAsOxbowsSuperuser() throws Exception {
        // without root the pooler and the compute run as Oxbow's own user, which peer authentication admits as any role:
        // the single-user mode of the README's security model, with no wall below SQL to test
        Assumptions.assumeTrue(TestPostgres.identity().root() && Files.isExecutable(Path.of("/usr/bin/psql")),
                "needs root (the compute runs as another user) and psql for the direct attempt");
        ComputeSpec spec = start("ep-pe", Map.of());
        RunningPooler pooler = runtime.awaitPooler("ep-pe", java.time.Duration.ofSeconds(15)).orElseThrow();
        Properties props = new Properties();
        props.setProperty("user", TestPostgres.SUPERUSER);
        props.setProperty("socketFactory", AFUNIXSocketFactory.FactoryArg.class.getName());
        props.setProperty("socketFactoryArg", pooler.socketDir().resolve(PgConnections.SOCKET_FILE).toString());
        props.setProperty("sslmode", "disable");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new org.postgresql.Driver().connect("jdbc:postgresql://localhost:5432/postgres", props))
                .isInstanceOf(SQLException.class);
        for (String role : List.of(TestPostgres.SUPERUSER, PgConnections.REPLICATION_ROLE)) {
            Process p = new ProcessBuilder(TestPostgres.identity().wrap(List.of("/usr/bin/psql", "-X", "-w", "-h", spec.socketDir().toString(),
                    "-U", role, "-d", "postgres", "-c", "SELECT 1"))).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            assertThat(p.waitFor()).as("as the compute's user into its compute as %s: %s", role, out).isNotZero();
        }
        Process p = new ProcessBuilder(TestPostgres.identity().wrap(List.of("/usr/bin/psql", "-X", "-w", "-h", spec.socketDir().toString(),
                "-U", APP, "-d", APP, "-Atc", "SELECT current_user"))).redirectErrorStream(true).start();
        assertThat(new String(p.getInputStream().readAllBytes()).strip()).as("control: a tenant role, as the pooler does").isEqualTo(APP);
    }

    @Test
    void preparedStatementsWorkInTransactionMode() throws Exception {
        Assumptions.assumeTrue(binary.preparedStatements(), "PgBouncer " + binary.version() + " cannot track prepared statements");
        start("ep-pb", Map.of("max_connections", "20"));
        RunningPooler pooler = runtime.awaitPooler("ep-pb", java.time.Duration.ofSeconds(15)).orElseThrow();
        try (Connection setup = pooled(pooler, APP); Statement s = setup.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS t(id int PRIMARY KEY, v text)");
            s.execute("INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 100) g ON CONFLICT DO NOTHING");
        }
        // 40 clients share at most 15 server connections: each named statement (prepareThreshold=1) runs on servers
        // that never saw it prepared, which PgBouncer's max_prepared_statements makes work
        List<Connection> clients = new ArrayList<>();
        try {
            for (int i = 0; i < 40; i++) {
                clients.add(pooled(pooler, APP));
            }
            try (ExecutorService pool = Executors.newFixedThreadPool(20)) {
                List<Future<Integer>> results = new ArrayList<>();
                for (Connection c : clients) {
                    results.add(pool.submit(() -> {
                        int sum = 0;
                        try (PreparedStatement ps = c.prepareStatement("SELECT v FROM t WHERE id = ?")) {
                            for (int round = 1; round <= 50; round++) {
                                ps.setInt(1, round);
                                try (ResultSet rs = ps.executeQuery()) {
                                    rs.next();
                                    sum += rs.getString(1).equals("v" + round) ? 1 : 0;
                                }
                            }
                        }
                        return sum;
                    }));
                }
                for (Future<Integer> r : results) {
                    assertThat(r.get()).isEqualTo(50);
                }
            }
        } finally {
            for (Connection c : clients) {
                c.close();
            }
        }
    }

    @Test
    void aThousandClientsShareTheComputesTwentyConnections() throws Exception {
        ComputeSpec spec = start("ep-pc", Map.of("max_connections", "20"));
        RunningPooler pooler = runtime.awaitPooler("ep-pc", java.time.Duration.ofSeconds(15)).orElseThrow();
        List<Connection> clients = new ArrayList<>();
        Set<Integer> serverPids = ConcurrentHashMap.newKeySet();
        try (ExecutorService pool = Executors.newFixedThreadPool(32)) {
            List<Future<Connection>> opened = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                opened.add(pool.submit(() -> pooled(pooler, APP)));
            }
            for (Future<Connection> f : opened) {
                clients.add(f.get());
            }
            // all 1,000 are connected at once; each runs its queries while the others stay connected
            List<Future<Boolean>> ran = new ArrayList<>();
            for (Connection c : clients) {
                ran.add(pool.submit(() -> {
                    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT pg_backend_pid(), 1 + 1")) {
                        rs.next();
                        serverPids.add(rs.getInt(1));
                        return rs.getInt(2) == 2;
                    }
                }));
            }
            for (Future<Boolean> f : ran) {
                assertThat(f.get()).isTrue();
            }
            try (Connection direct = PgConnections.open(spec.socketDir(), "postgres", TestPostgres.SUPERUSER)) {
                int backends = Integer.parseInt(query(direct, "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'"));
                assertThat(backends).as("server connections with 1,000 pooled clients connected").isLessThanOrEqualTo(20);
            }
        } finally {
            for (Connection c : clients) {
                c.close();
            }
        }
        assertThat(clients).hasSize(1000);
        assertThat(serverPids).as("server backends that served the 1,000 clients").hasSizeBetween(1, 15);
    }

    @Test
    void aKilledPoolerIsRestartedAndClientsReconnect() throws Exception {
        start("ep-pd", Map.of());
        RunningPooler first = runtime.awaitPooler("ep-pd", java.time.Duration.ofSeconds(15)).orElseThrow();
        try (Connection c = pooled(first, APP)) {
            assertThat(query(c, "SELECT 1")).isEqualTo("1");
        }
        OsProcesses.signal(first.pid(), "KILL");
        RunningPooler second = awaitNewPooler("ep-pd", first.pid());
        assertThat(second.socketDir()).isEqualTo(first.socketDir());
        try (Connection c = pooled(second, APP)) {
            assertThat(query(c, "SELECT 2")).isEqualTo("2");
        }
        assertThat(runtime.find("ep-pd")).as("the compute itself kept running").isPresent();
    }

    private RunningPooler awaitNewPooler(String uid, long oldPid) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            var p = runtime.awaitPooler(uid, Duration.ofSeconds(1));
            if (p.isPresent() && p.get().pid() != oldPid) {
                return p.get();
            }
            Thread.sleep(20);
        }
        throw new AssertionError("the pooler of " + uid + " was not restarted");
    }

    /** pgjdbc over the pooler's socket, named server-side statements from the first execution. */
    static Connection pooled(RunningPooler pooler, String database) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", APP);
        props.setProperty("socketFactory", AFUNIXSocketFactory.FactoryArg.class.getName());
        props.setProperty("socketFactoryArg", pooler.socketDir().resolve(PgConnections.SOCKET_FILE).toString());
        props.setProperty("sslmode", "disable");
        props.setProperty("prepareThreshold", "1");
        props.setProperty("connectTimeout", "30");
        return new org.postgresql.Driver().connect("jdbc:postgresql://localhost:5432/" + database, props);
    }

    private static String query(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static int uidOf(long pid) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith("Uid:")) {
                return Integer.parseInt(line.substring(4).trim().split("\\s+")[0]);
            }
        }
        throw new AssertionError("no Uid line");
    }
}
