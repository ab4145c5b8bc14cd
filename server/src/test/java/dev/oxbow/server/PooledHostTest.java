package dev.oxbow.server;

import com.databricks.sdk.WorkspaceClient;
import com.databricks.sdk.service.postgres.Branch;
import com.databricks.sdk.service.postgres.BranchSpec;
import com.databricks.sdk.service.postgres.CreateBranchRequest;
import com.databricks.sdk.service.postgres.CreateProjectRequest;
import com.databricks.sdk.service.postgres.Endpoint;
import com.databricks.sdk.service.postgres.EndpointHosts;
import com.databricks.sdk.service.postgres.EndpointSpec;
import com.databricks.sdk.service.postgres.EndpointStatusState;
import com.databricks.sdk.service.postgres.EndpointType;
import com.databricks.sdk.service.postgres.GenerateDatabaseCredentialRequest;
import com.databricks.sdk.service.postgres.Project;
import com.databricks.sdk.service.postgres.UpdateEndpointRequest;
import com.google.protobuf.FieldMask;
import dev.oxbow.compute.PoolerBinary;
import dev.oxbow.compute.RunningPooler;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.postgresql.util.PSQLException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Pooled hosts ({@code <uid>-pooler}): the proxy in front of each endpoint's real PgBouncer, with real clients. */
class PooledHostTest {
    @RegisterExtension
    static final TestHomes homes = new TestHomes();
    static TestServer t;
    static WorkspaceClient w;
    static final String P = "projects/pool";
    static final String EP = P + "/branches/production/endpoints/primary";
    static final String USER = "admin@oxbow.local";
    static String uid;
    static String domain;

    @BeforeAll
    static void start() throws Exception {
        var found = PoolerBinary.find();
        if (found.isEmpty() && "true".equals(System.getenv("CI"))) {
            throw new AssertionError("CI=true but no PgBouncer is installed: scripts/setup builds one");
        }
        Assumptions.assumeTrue(found.isPresent() && found.get().preparedStatements(),
                "PgBouncer >= 1.21 not installed (run scripts/setup); pooled host tests skipped");
        t = TestServer.start(TestServer.config(homes.newHome("pool")));
        w = t.sdk();
        w.postgres().createProject(new CreateProjectRequest().setProjectId("pool").setProject(new Project())).waitForCompletion();
        Endpoint e = w.postgres().getEndpoint(EP);
        uid = e.getUid();
        domain = e.getStatus().getHosts().getHost().substring(uid.length() + 1);
    }

    @AfterAll
    static void stop() {
        if (t != null) {
            t.close();
        }
    }

    static String token(String endpoint) {
        return w.postgres().generateDatabaseCredential(new GenerateDatabaseCredentialRequest().setEndpoint(endpoint)).getToken();
    }

    /** pgjdbc through the proxy to {@code options=endpoint=<routeUid>}, named server-side statements from the first use. */
    static Connection jdbc(String routeUid, String password) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", USER);
        p.setProperty("password", password);
        p.setProperty("sslmode", "require");
        p.setProperty("options", "endpoint=" + routeUid);
        p.setProperty("prepareThreshold", "1");
        p.setProperty("connectTimeout", "30");
        return DriverManager.getConnection("jdbc:postgresql://localhost:" + t.server().pgPort() + "/databricks_postgres", p);
    }

    static String scalar(Connection c, String sql) throws SQLException {
        try (ResultSet rs = c.createStatement().executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    @Test
    void theStatusNamesThePooledHosts() {
        EndpointHosts hosts = w.postgres().getEndpoint(EP).getStatus().getHosts();
        assertThat(hosts.getReadWritePooledHost()).isEqualTo(uid + "-pooler." + domain);
        assertThat(hosts.getReadOnlyPooledHost()).isEqualTo(uid + "-ro-pooler." + domain);
    }

    @Test
    void pgjdbcPreparedStatementsWorkInTransactionModeAndClientsShareServerConnections() throws Exception {
        String tok = token(EP);
        try (Connection setup = jdbc(uid + "-pooler", tok)) {
            setup.createStatement().execute("CREATE TABLE IF NOT EXISTS items(id int PRIMARY KEY, name text)");
            setup.createStatement().execute("INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 50) g ON CONFLICT DO NOTHING");
        }
        List<Connection> clients = new ArrayList<>();
        try {
            for (int i = 0; i < 30; i++) {
                clients.add(jdbc(uid + "-pooler", tok));
            }
            // every client prepares the same named statement; the few server connections behind them are shared
            for (int round = 1; round <= 5; round++) {
                for (Connection c : clients) {
                    try (PreparedStatement ps = c.prepareStatement("SELECT name FROM items WHERE id = ?")) {
                        ps.setInt(1, round * 7);
                        try (ResultSet rs = ps.executeQuery()) {
                            assertThat(rs.next()).isTrue();
                            assertThat(rs.getString(1)).isEqualTo("item " + round * 7);
                        }
                    }
                }
            }
            try (Connection direct = ProxyClients.jdbc(t, uid, USER, tok, "require")) {
                int servers = Integer.parseInt(scalar(direct, "SELECT count(*) FROM pg_stat_activity WHERE usename = current_user"
                        + " AND pid <> pg_backend_pid()"));
                assertThat(servers).as("server connections behind 30 idle pooled clients").isLessThan(30);
            }
        } finally {
            for (Connection c : clients) {
                c.close();
            }
        }
    }

    @Test
    void thePasswordFormNamesThePooledHost() throws Exception {
        Properties p = new Properties();
        p.setProperty("user", USER);
        p.setProperty("password", "endpoint=" + uid + "-pooler;" + token(EP));
        p.setProperty("sslmode", "require");
        p.setProperty("connectTimeout", "30");
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + t.server().pgPort() + "/databricks_postgres", p)) {
            assertThat(scalar(c, "SELECT 6 * 7")).isEqualTo("42");
        }
    }

    @Test
    void psycopgPreparedStatementsWorkThroughThePooledHost() throws Exception {
        Assumptions.assumeTrue(ProxyClients.hasPsycopg(), "python3 psycopg not installed (scripts/setup --for-tests)");
        // psycopg prepares a query server-side from its sixth execution on; prepare=True does it at once
        String script = "import psycopg,sys\n"
                + "with psycopg.connect(host=sys.argv[1], hostaddr='127.0.0.1', port=int(sys.argv[2]), dbname='databricks_postgres',"
                + " user=sys.argv[3], password=sys.argv[4], sslmode='require') as c:\n"
                + "    c.autocommit = True\n"
                + "    print(sum(c.execute('SELECT %s::int * 2', (i,), prepare=True).fetchone()[0] for i in range(10)))\n";
        var r = ProxyClients.run(java.util.Map.of(), "/usr/bin/python3", "-c", script, uid + "-pooler." + domain,
                Integer.toString(t.server().pgPort()), USER, token(EP));
        assertThat(r.output()).isEqualTo("90");
        assertThat(r.exit()).isZero();
    }

    @Test
    void nodePostgresNamedStatementsWorkThroughThePooledHost() throws Exception {
        Path node = Path.of(System.getProperty("user.dir")).resolveSibling("clients").resolve("node");
        boolean installed = Files.isRegularFile(node.resolve("node_modules/pg/package.json")) && ProxyClients.run(java.util.Map.of(),
                "bash", "-c", "command -v node").exit() == 0;
        if (!installed && "true".equals(System.getenv("CI"))) {
            throw new AssertionError("CI=true but node-postgres is missing (scripts/setup --for-tests installs it)");
        }
        Assumptions.assumeTrue(installed, "node-postgres not installed (scripts/setup --for-tests)");
        // three clients at once, each running the same named statement: their server connections never saw it prepared
        String script = "const pg = require('pg');\n"
                + "const [host, port, user, password] = process.argv.slice(1);\n"
                + "(async () => {\n"
                + "  const clients = [1, 2, 3].map(() => new pg.Client({ host: '127.0.0.1', port: +port, user, password,\n"
                + "    database: 'databricks_postgres', ssl: { rejectUnauthorized: false, servername: host } }));\n"
                + "  await Promise.all(clients.map(c => c.connect()));\n"
                + "  let sum = 0;\n"
                + "  for (let i = 0; i < 10; i++) {\n"
                + "    const rows = await Promise.all(clients.map(c => c.query({ name: 'twice', text: 'SELECT $1::int * 2 AS v', values: [i] })));\n"
                + "    sum += rows.reduce((a, r) => a + r.rows[0].v, 0);\n"
                + "  }\n"
                + "  console.log(sum);\n"
                + "  await Promise.all(clients.map(c => c.end()));\n"
                + "})().catch(e => { console.error(e.message); process.exit(1); });\n";
        ProcessBuilder pb = new ProcessBuilder("node", "-e", script, uid + "-pooler." + domain, Integer.toString(t.server().pgPort()), USER,
                token(EP)).directory(node.toFile()).redirectErrorStream(true);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes()).strip();
        assertThat(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        assertThat(out).isEqualTo("270");
        assertThat(p.exitValue()).isZero();
    }

    @Test
    void anIdleEndpointWakesOnItsFirstPooledConnection() throws Exception {
        String ep = branch("sleepy");
        String sleepyUid = w.postgres().getEndpoint(ep).getUid();
        var cp = t.server().controlPlane();
        cp.activity().suspendNow(cp.store().endpoints().get(ep).orElseThrow());
        assertThat(w.postgres().getEndpoint(ep).getStatus().getCurrentState()).isEqualTo(EndpointStatusState.IDLE);
        try (Connection c = jdbc(sleepyUid + "-pooler", token(ep))) {
            assertThat(scalar(c, "SELECT 'awake'")).isEqualTo("awake");
            assertThat(w.postgres().getEndpoint(ep).getStatus().getCurrentState()).isEqualTo(EndpointStatusState.ACTIVE);
            c.setAutoCommit(false);
            scalar(c, "SELECT 1");
            assertThat(cp.activity().connections(sleepyUid)).as("a pooled client in a transaction counts as activity").isEqualTo(1);
            c.commit();
            assertThat(poll(() -> cp.activity().connections(sleepyUid) == 0)).as("an idle pooled client holds the compute up no more").isTrue();
        }
    }

    @Test
    void anIdlePooledClientOutlivesTheSuspendAndItsNextQueryWakesTheCompute() throws Exception {
        String ep = branch("nap");
        String napUid = w.postgres().getEndpoint(ep).getUid();
        var cp = t.server().controlPlane();
        try (Connection c = jdbc(napUid + "-pooler", token(ep))) {
            try (PreparedStatement ps = c.prepareStatement("SELECT ?::int + 1")) {
                ps.setInt(1, 1);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    assertThat(rs.getInt(1)).isEqualTo(2);
                }
            }
            assertThat(poll(() -> cp.activity().connections(napUid) == 0)).isTrue();
            long poolerPid = cp.computes().runtime().pooler(napUid).orElseThrow().pid();
            cp.activity().suspendNow(cp.store().endpoints().get(ep).orElseThrow());
            assertThat(w.postgres().getEndpoint(ep).getStatus().getCurrentState()).isEqualTo(EndpointStatusState.IDLE);
            // the branch's first snapshot, queued right behind its create, may hold the server a moment longer
            assertThat(poll(() -> cp.computes().runtime().find(napUid).isEmpty())).as("the compute's server stopped").isTrue();
            assertThat(cp.computes().runtime().pooler(napUid)).as("its pooler kept the idle client")
                    .map(RunningPooler::pid).contains(poolerPid);

            // the same connection, the same prepared statement: served again by the woken compute
            try (PreparedStatement ps = c.prepareStatement("SELECT ?::int + 1")) {
                ps.setInt(1, 41);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    assertThat(rs.getInt(1)).isEqualTo(42);
                }
            }
            assertThat(w.postgres().getEndpoint(ep).getStatus().getCurrentState()).isEqualTo(EndpointStatusState.ACTIVE);
            assertThat(cp.computes().runtime().pooler(napUid)).map(RunningPooler::pid).contains(poolerPid);
        }
    }

    /** Polls until {@code condition} holds (the pooled session's count is given back on the event loop), up to 10 s. */
    private static boolean poll(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(10);
        }
        return true;
    }

    @Test
    void aDisabledEndpointsPooledHostIsRefused() throws Exception {
        String ep = branch("off");
        String offUid = w.postgres().getEndpoint(ep).getUid();
        String tok = token(ep);
        w.postgres().updateEndpoint(new UpdateEndpointRequest().setName(ep)
                .setEndpoint(new Endpoint().setSpec(new EndpointSpec().setEndpointType(EndpointType.ENDPOINT_TYPE_READ_WRITE).setDisabled(true)))
                .setUpdateMask(FieldMask.newBuilder().addPaths("spec.disabled").build())).waitForCompletion();
        assertThatThrownBy(() -> jdbc(offUid + "-pooler", tok))
                .isInstanceOf(PSQLException.class).hasMessageContaining("endpoint " + offUid + "-pooler is disabled");
    }

    @Test
    void aKilledPoolerIsRestartedAndPooledClientsReconnect() throws Exception {
        String tok = token(EP);
        var runtime = t.server().controlPlane().computes().runtime();
        try (Connection c = jdbc(uid + "-pooler", tok)) {
            assertThat(scalar(c, "SELECT 1")).isEqualTo("1");
        }
        RunningPooler before = runtime.awaitPooler(uid, java.time.Duration.ofSeconds(15)).orElseThrow();
        new ProcessBuilder("kill", "-KILL", Long.toString(before.pid())).start().waitFor();
        // the next client waits for the restart rather than being refused
        try (Connection c = jdbc(uid + "-pooler", tok)) {
            assertThat(scalar(c, "SELECT 2")).isEqualTo("2");
        }
        assertThat(runtime.awaitPooler(uid, java.time.Duration.ofSeconds(15)).orElseThrow().pid()).isNotEqualTo(before.pid());
    }

    private static String branch(String id) throws Exception {
        w.postgres().createBranch(new CreateBranchRequest().setParent(P).setBranchId(id)
                .setBranch(new Branch().setSpec(new BranchSpec().setNoExpiry(true)))).waitForCompletion();
        return P + "/branches/" + id + "/endpoints/primary";
    }
}
