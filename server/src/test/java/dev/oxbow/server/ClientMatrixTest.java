package dev.oxbow.server;

import com.databricks.sdk.WorkspaceClient;
import com.databricks.sdk.service.postgres.Branch;
import com.databricks.sdk.service.postgres.BranchSpec;
import com.databricks.sdk.service.postgres.CreateBranchRequest;
import com.databricks.sdk.service.postgres.CreateProjectRequest;
import com.databricks.sdk.service.postgres.Endpoint;
import com.databricks.sdk.service.postgres.GenerateDatabaseCredentialRequest;
import com.databricks.sdk.service.postgres.Project;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Real clients as a new user runs them, each a script under {@code clients/} run as a subprocess: connect by the endpoint's
 * host name ({@code status.hosts.host}, resolved by the system, routed by SNI) with sslmode=require and with verify-full
 * against Oxbow's CA, prepared statements reused, COPY in and out, a 10 MB bytea up and down, a 50 MB result,
 * LISTEN/NOTIFY, a pg_sleep cancelled by the client's own CancelRequest, and the first query after a suspend.
 * A client the machine lacks fails the test under {@code CI=true} (CI installs them) and skips it elsewhere.
 */
@Timeout(900)
class ClientMatrixTest {
    @RegisterExtension
    static final TestHomes homes = new TestHomes();
    static final Path CLIENTS = Path.of(System.getProperty("user.dir")).resolveSibling("clients");
    /** Rows of COPY each way. */
    static final int ROWS = Integer.getInteger("oxbow.matrix.rows", 1_000_000);
    static final String USER = "admin@oxbow.local";
    static final String EP = "projects/client-matrix/branches/clients/endpoints/primary";
    static final List<String> CHECKS = List.of("connect_require", "connect_verify_full", "prepared_reused", "copy_in", "copy_out",
            "bytea_10mb_up", "bytea_10mb_down", "result_50mb", "listen_notify", "cancel");
    static TestServer t;
    static WorkspaceClient w;
    static String host;
    static String uid;

    enum Client {
        PSQL("psql", List.of("bash", "psql/matrix.sh"), "psql and xxd (postgresql-client, xxd)"),
        PSYCOPG("psycopg 3", List.of("/usr/bin/python3", "python/psycopg_matrix.py"), "python3-psycopg"),
        SQLALCHEMY("SQLAlchemy", List.of("/usr/bin/python3", "python/sqlalchemy_matrix.py"), "python3-sqlalchemy, python3-psycopg2"),
        NODE_POSTGRES("node-postgres", List.of("node", "node/pg_matrix.mjs"), "Node.js and clients/node (npm ci)"),
        POSTGRES_JS("postgres.js", List.of("node", "node/postgres_matrix.mjs"), "Node.js and clients/node (npm ci)"),
        LAKEBASE("@databricks/lakebase", List.of("node", "node/lakebase_matrix.mjs"), "Node.js and clients/node (npm ci)"),
        DRIZZLE("Drizzle ORM", List.of("node", "node/drizzle_matrix.mjs"), "Node.js and clients/node (npm ci)"),
        /** In this JVM: pgjdbc is the tests' own driver ({@link PgjdbcMatrix}). */
        PGJDBC("pgjdbc", List.of(), "the tests' classpath");

        final String label;
        final List<String> command;
        final String packages;

        Client(String label, List<String> command, String packages) {
            this.label = label;
            this.command = command;
            this.packages = packages;
        }

        boolean installed() {
            return switch (this) {
                case PSQL -> succeeds("bash", "-c", "command -v psql && command -v xxd");
                case PSYCOPG -> succeeds("/usr/bin/python3", "-c", "import psycopg");
                case SQLALCHEMY -> succeeds("/usr/bin/python3", "-c", "import sqlalchemy, psycopg2");
                case NODE_POSTGRES -> node("pg") && node("pg-copy-streams");
                case POSTGRES_JS -> node("postgres");
                case LAKEBASE -> node("@databricks/lakebase") && node("pg-copy-streams");
                case DRIZZLE -> node("drizzle-orm") && node("pg") && node("pg-copy-streams");
                case PGJDBC -> true;
            };
        }

        private static boolean node(String module) {
            return Files.isRegularFile(CLIENTS.resolve("node/node_modules").resolve(module).resolve("package.json"))
                    && succeeds("node", "--version");
        }

        private static boolean succeeds(String... command) {
            try {
                Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
            } catch (Exception e) {
                return false;
            }
        }
    }

    @BeforeAll
    static void start() throws Exception {
        // the default listen addresses (127.0.0.1 and ::1): the host name resolves to ::1 first; history maintenance
        // runs as configured, so a snapshot's hold on the compute meets the wakes after each suspend
        t = TestServer.start(TestServer.config(homes.newHome("clients")).withPg(ServerConfig.DEFAULT_PG_HOSTS, 0));
        w = t.sdk();
        var project = w.postgres().createProject(new CreateProjectRequest().setProjectId("client-matrix").setProject(new Project()));
        SdkOperations.await(t, project.getName(), project::waitForCompletion);
        // not production, whose primary is never suspended
        var branch = w.postgres().createBranch(new CreateBranchRequest().setParent("projects/client-matrix").setBranchId("clients")
                .setBranch(new Branch().setSpec(new BranchSpec().setNoExpiry(true))));
        SdkOperations.await(t, branch.getName(), branch::waitForCompletion);
        Endpoint e = w.postgres().getEndpoint(EP);
        host = e.getStatus().getHosts().getHost();
        uid = e.getUid();
    }

    @AfterAll
    static void stop() {
        t.close();
    }

    @Test
    void endpointHostNamesAreTwoLabelsUnderLocalhostAndTheProxyListensOnBothLoopbacks() throws Exception {
        assertThat(host).isEqualTo(uid + ".oxbow.localhost");
        for (String address : List.of("127.0.0.1", "[::1]")) {
            try (Connection c = jdbc(address); ResultSet rs = c.createStatement().executeQuery("SELECT current_user")) {
                rs.next();
                assertThat(rs.getString(1)).as("through " + address).isEqualTo(USER);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Client.class)
    void passesEveryCheck(Client client) throws Exception {
        if (!client.installed()) {
            String message = client.label + " is not installed (" + client.packages + "; scripts/setup --for-tests installs it)";
            if ("true".equals(System.getenv("CI"))) {
                fail(message);
            }
            assumeTrue(false, message);
        }
        Map<String, String> results = run(client, "all");
        suspend();
        results.putAll(run(client, "after-suspend"));
        List<String> expected = new ArrayList<>(CHECKS);
        expected.add("after_suspend");
        assertThat(results.keySet()).as(client.label + " reported every check").containsAll(expected);
        assertThat(results).as(client.label).allSatisfy((check, line) -> assertThat(line).as(check).startsWith("PASS"));
    }

    /** Runs the client's script (or, for pgjdbc, its checks in this JVM); check name → its PASS/FAIL line. */
    static Map<String, String> run(Client client, String mode) throws Exception {
        if (client == Client.PGJDBC) {
            Map<String, String> results = new PgjdbcMatrix(new PgjdbcMatrix.Target(host, t.server().pgPort(), USER,
                    w.postgres().generateDatabaseCredential(new GenerateDatabaseCredentialRequest().setEndpoint(EP)).getToken(),
                    t.server().caCertificate().toString(), ROWS, "m_pgjdbc_")).run(mode);
            System.out.println("[client-matrix] pgjdbc " + mode + "\n" + String.join("\n", results.values()));
            return results;
        }
        List<String> command = new ArrayList<>(client.command);
        command.set(1, CLIENTS.resolve(command.get(1)).toString());
        command.add(mode);
        ProcessBuilder pb = new ProcessBuilder(command).directory(CLIENTS.toFile()).redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("PG") || k.startsWith("DATABRICKS_") || k.startsWith("OXBOW_"));
        env.put("OXBOW_HOST", host);
        env.put("PGPORT", Integer.toString(t.server().pgPort()));
        env.put("OXBOW_USER", USER);
        env.put("OXBOW_TOKEN", w.postgres().generateDatabaseCredential(new GenerateDatabaseCredentialRequest().setEndpoint(EP)).getToken());
        env.put("OXBOW_CA", t.server().caCertificate().toString());
        env.put("OXBOW_ROWS", Integer.toString(ROWS));
        env.put("OXBOW_PREFIX", "m_" + client.name().toLowerCase() + "_");
        env.put("DATABRICKS_HOST", t.baseUrl());
        env.put("DATABRICKS_TOKEN", t.token());
        env.put("LAKEBASE_ENDPOINT", EP);
        env.put("NODE_EXTRA_CA_CERTS", t.server().caCertificate().toString());
        Process p = pb.start();
        // read on another thread so a hung client still times out
        var output = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getInputStream().readAllBytes());
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            fail(client.label + " " + mode + " did not finish in 300 s: " + output.get(10, TimeUnit.SECONDS));
        }
        String out = output.get(30, TimeUnit.SECONDS);
        System.out.println("[client-matrix] " + client.label + " " + mode + "\n" + out.strip());
        Map<String, String> results = new LinkedHashMap<>();
        out.lines().filter(l -> l.startsWith("PASS ") || l.startsWith("FAIL "))
                .forEach(l -> results.put(l.split(" ", 3)[1], l));
        assertThat(p.exitValue()).as(client.label + " " + mode + " exit code; output:\n" + out).isZero();
        return results;
    }

    static void suspend() throws Exception {
        var response = t.http("POST", "/api/2.0/oxbow/endpoints/" + EP + ":suspend", null);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(new ObjectMapper().readTree(response.body()).path("status").path("current_state").asText()).isEqualTo("IDLE");
    }

    static Connection jdbc(String address) throws Exception {
        Properties p = new Properties();
        p.setProperty("user", USER);
        p.setProperty("password", w.postgres().generateDatabaseCredential(new GenerateDatabaseCredentialRequest().setEndpoint(EP)).getToken());
        p.setProperty("sslmode", "require");
        p.setProperty("options", "endpoint=" + uid);
        p.setProperty("connectTimeout", "30");
        return DriverManager.getConnection("jdbc:postgresql://" + address + ":" + t.server().pgPort() + "/databricks_postgres", p);
    }
}
