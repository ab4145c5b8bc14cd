package dev.oxbow.server;

import com.databricks.sdk.WorkspaceClient;
import com.databricks.sdk.service.postgres.Branch;
import com.databricks.sdk.service.postgres.BranchSpec;
import com.databricks.sdk.service.postgres.CreateBranchRequest;
import com.databricks.sdk.service.postgres.CreateProjectRequest;
import com.databricks.sdk.service.postgres.GenerateDatabaseCredentialRequest;
import com.databricks.sdk.service.postgres.Project;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * An explicit suspend ({@code :suspend}, the console's Suspend) under open sessions: each client reads FATAL 57P01
 * naming the endpoint, also psql in the middle of a COPY stream, rather than a bare EOF; a pool that validates its
 * connections (JDBC's {@code isValid}, as HikariCP does) drops the dead one and its next connection wakes the compute.
 */
@Timeout(300)
class SuspendUnderSessionsTest {
    @RegisterExtension
    static final TestHomes homes = new TestHomes();
    static final String USER = "admin@oxbow.local";
    static final String EP = "projects/pause/branches/dev/endpoints/primary";
    static TestServer t;
    static WorkspaceClient w;
    static String uid;
    static String host;

    @BeforeAll
    static void start() throws Exception {
        t = TestServer.start(TestServer.config(homes.newHome("suspend")));
        w = t.sdk();
        w.postgres().createProject(new CreateProjectRequest().setProjectId("pause").setProject(new Project())).waitForCompletion();
        // not production, whose primary is never suspended
        w.postgres().createBranch(new CreateBranchRequest().setParent("projects/pause").setBranchId("dev")
                .setBranch(new Branch().setSpec(new BranchSpec().setNoExpiry(true)))).waitForCompletion();
        uid = w.postgres().getEndpoint(EP).getUid();
        host = w.postgres().getEndpoint(EP).getStatus().getHosts().getHost();
    }

    @AfterAll
    static void stop() {
        t.close();
    }

    static String token() {
        return w.postgres().generateDatabaseCredential(new GenerateDatabaseCredentialRequest().setEndpoint(EP)).getToken();
    }

    static Connection connect() throws SQLException {
        return ProxyClients.jdbc(t, uid, USER, token(), "require");
    }

    @Test
    void openSessionsEndWithAMessageNamingTheEndpointAndTheNextConnectionWakesIt() throws Exception {
        if (!ProxyClients.hasPsql()) {
            String message = "psql is not installed (postgresql-client; scripts/setup --for-tests installs it)";
            if ("true".equals(System.getenv("CI"))) {
                fail(message);
            }
            assumeTrue(false, message);
        }
        // threads of their own: the common pool may have a single worker
        try (var threads = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor();
             Connection idle = connect(); Connection pooled = connect()) {
            try (Statement st = idle.createStatement()) {
                st.execute("create table big as select repeat('x', 1000) as t from generate_series(1, 100000)"); // 100 MB
            }
            // psql in the middle of a COPY's stream when the suspend comes (this test stops reading its output until the
            // proxy ended the other sessions): the message must come between two CopyData messages. (pgjdbc's copy API
            // drops an ErrorResponse that EOF follows, so psql, which prints it, is the client here.)
            Path stderr = Files.createTempFile("oxbow-psql", ".err");
            stderr.toFile().deleteOnExit();
            ProcessBuilder pb = new ProcessBuilder("/usr/bin/psql", "host=" + host + " hostaddr=127.0.0.1 port=" + t.server().pgPort()
                    + " dbname=databricks_postgres user=" + USER + " sslmode=require", "-XAtq", "-c", "copy big to stdout")
                    .redirectError(stderr.toFile());
            pb.environment().put("PGPASSWORD", token());
            Process copying = pb.start();
            InputStream out = copying.getInputStream();
            assertThat(out.readNBytes(1 << 20)).hasSize(1 << 20);

            var suspend = CompletableFuture.supplyAsync(() -> {
                try {
                    return t.http("POST", "/api/2.0/oxbow/endpoints/" + EP + ":suspend", null);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, threads);
            // what a validating pool asks before handing a connection out (HikariCP: isValid); false once the
            // proxy ended the sessions, and then the COPY's reader goes on
            while (pooled.isValid(10)) {
                assertThat(suspend).as("the suspend ended the open sessions before it returned").isNotDone();
            }
            long rest = out.transferTo(java.io.OutputStream.nullOutputStream());
            assertThat(copying.waitFor(60, TimeUnit.SECONDS)).isTrue();
            var response = suspend.get(60, TimeUnit.SECONDS);
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);

            SQLException onIdle = null;
            try (Statement st = idle.createStatement()) {
                st.execute("select 1");
            } catch (SQLException e) {
                onIdle = e;
            }
            assertThat((Object) onIdle).as("the idle session's next query fails").isNotNull();
            assertThat(onIdle.getSQLState()).isEqualTo("57P01");
            assertThat(onIdle.getMessage()).contains("endpoint " + EP + " was suspended").contains("connect again to wake it");

            String psqlError = Files.readString(stderr);
            assertThat(copying.exitValue()).as(psqlError).isNotZero();
            assertThat(rest).as("the COPY was cut short").isLessThan(100_000L * 1001 - (1 << 20));
            assertThat(psqlError).contains("FATAL:  terminating connection because endpoint " + EP + " was suspended");
        }
        try (Connection next = connect(); ResultSet rs = next.createStatement().executeQuery("select 1")) {
            rs.next();
            assertThat(rs.getInt(1)).as("the pool's next connection wakes the compute").isEqualTo(1);
        }
    }
}
