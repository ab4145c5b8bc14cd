package dev.oxbow.server;

import com.databricks.sdk.WorkspaceClient;
import com.databricks.sdk.service.postgres.CreateProjectRequest;
import com.databricks.sdk.service.postgres.DeleteProjectRequest;
import com.databricks.sdk.service.postgres.GenerateDatabaseCredentialRequest;
import com.databricks.sdk.service.postgres.Project;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.oxbow.controlplane.history.PastComputes;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.postgresql.util.PSQLException;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Properties;
import java.util.stream.StreamSupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Time travel through the real proxy: {@code at=<time>}, {@code at=<LSN>} and the {@code <uid>--at-<seconds>} host name
 * open read-only sessions that see the data as it was, Postgres refuses writes whatever the session SETs, a second
 * connection at the same point shares the compute, points outside the restore window are refused with the window named,
 * and a caller who cannot connect to the endpoint cannot look at its past.
 */
@ExtendWith(SharedServer.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TimeTravelTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String P = "projects/timetravel";
    static final String EP = P + "/branches/production/endpoints/primary";
    static final String USER = "admin@oxbow.local";
    static final String OLD = "1:old,2:old,3:old";
    static final String NEW = "2:new,3:new,4:new";
    TestServer t;
    WorkspaceClient w;
    String uid;
    String domain;
    /** A whole second after the old rows committed and before they changed. */
    Instant before;
    /** The WAL position after the old rows committed and before they changed. */
    String lsnBefore;

    @BeforeAll
    void start(TestServer shared) throws Exception {
        t = shared;
        w = t.sdk();
        w.postgres().createProject(new CreateProjectRequest().setProjectId("timetravel").setProject(new Project())).waitForCompletion();
        var endpoint = w.postgres().getEndpoint(EP);
        uid = endpoint.getUid();
        domain = endpoint.getStatus().getHosts().getHost().substring(uid.length() + 1);
        try (Connection c = ProxyClients.jdbc(t, uid, USER, token(), "require"); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE events (id int PRIMARY KEY, v text); INSERT INTO events VALUES (1, 'old'), (2, 'old'), (3, 'old')");
            lsnBefore = scalar(st, "SELECT pg_current_wal_insert_lsn()::text");
            // the host-name form has whole seconds: the point is the next one, and the change comes after it
            before = Instant.now().truncatedTo(ChronoUnit.SECONDS).plusSeconds(1);
            while (!Instant.now().isAfter(before)) {
                Thread.sleep(Duration.between(Instant.now(), before).toMillis() + 5);
            }
            st.execute("UPDATE events SET v = 'new'; DELETE FROM events WHERE id = 1; INSERT INTO events VALUES (4, 'new')");
        }
    }

    @AfterAll
    void cleanup() {
        w.postgres().deleteProject(new DeleteProjectRequest().setName(P).setPurge(true));
    }

    String token() {
        return w.postgres().generateDatabaseCredential(new GenerateDatabaseCredentialRequest().setEndpoint(EP)).getToken();
    }

    /** pgjdbc through the proxy with {@code options=endpoint=<uid> at=<at>}. */
    Connection at(String at, String password) throws SQLException {
        return at(at, password, USER);
    }

    Connection at(String at, String password, String user) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", user);
        p.setProperty("password", password);
        p.setProperty("sslmode", "require");
        p.setProperty("options", "endpoint=" + uid + " at=" + at);
        p.setProperty("connectTimeout", "60");
        return DriverManager.getConnection("jdbc:postgresql://localhost:" + t.server().pgPort() + "/databricks_postgres", p);
    }

    static String scalar(Statement st, String sql) throws SQLException {
        try (ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    static String rows(Statement st) throws SQLException {
        return scalar(st, "SELECT string_agg(id || ':' || v, ',' ORDER BY id) FROM events");
    }

    @Test
    void aTimeAnLsnAndTheHostNameFormSeeTheOldDataWhileTheEndpointSeesTheNew() throws Exception {
        try (Connection c = at(before.toString(), token()); Statement st = c.createStatement()) {
            assertThat(rows(st)).isEqualTo(OLD);
            assertThat(scalar(st, "SELECT pg_is_in_recovery()")).isEqualTo("t");
        }
        try (Connection c = at(lsnBefore, token()); Statement st = c.createStatement()) {
            assertThat(rows(st)).isEqualTo(OLD);
        }
        try (Connection c = ProxyClients.jdbc(t, uid, USER, token(), "require"); Statement st = c.createStatement()) {
            assertThat(rows(st)).as("the endpoint itself").isEqualTo(NEW);
        }
        Assumptions.assumeTrue(ProxyClients.hasPsql(), "psql not installed: the host-name form is checked with pgjdbc only");
        var r = ProxyClients.psql(t, uid + "--at-" + before.getEpochSecond() + "." + domain, USER, token(), "verify-full",
                "SELECT string_agg(id || ':' || v, ',' ORDER BY id) FROM events");
        assertThat(r.exit()).as(r.output()).isZero();
        assertThat(r.output()).isEqualTo(OLD);
    }

    @Test
    void postgresRefusesWritesWhateverTheSessionSets() throws Exception {
        try (Connection c = at(lsnBefore, token()); Statement st = c.createStatement()) {
            assertThatThrownBy(() -> st.execute("INSERT INTO events VALUES (9, 'x')")).isInstanceOf(PSQLException.class)
                    .hasMessageContaining("read-only transaction");
            st.execute("SET default_transaction_read_only = off");
            assertThatThrownBy(() -> st.execute("INSERT INTO events VALUES (9, 'x')")).isInstanceOf(PSQLException.class)
                    .hasMessageContaining("read-only transaction");
            assertThatThrownBy(() -> st.execute("BEGIN READ WRITE")).isInstanceOf(PSQLException.class)
                    .hasMessageContaining("during recovery");
            st.execute("ROLLBACK");
            // resuming replay past the point would end recovery: only a superuser may
            assertThatThrownBy(() -> st.execute("SELECT pg_wal_replay_resume()")).isInstanceOf(PSQLException.class)
                    .hasMessageContaining("permission denied");
            assertThatThrownBy(() -> st.execute("SELECT pg_promote()")).isInstanceOf(PSQLException.class)
                    .hasMessageContaining("permission denied");
            assertThatThrownBy(() -> st.execute("CREATE TABLE scratch (x int)")).isInstanceOf(PSQLException.class)
                    .hasMessageContaining("read-only transaction");
            assertThat(rows(st)).isEqualTo(OLD);
        }
    }

    @Test
    void aSecondConnectionAtThePointReusesTheComputeWhichNoApiLists() throws Exception {
        String point = "lsn " + lsnBefore.toUpperCase();
        try (Connection first = at(lsnBefore, token())) {
            double started = counter("started");
            double reused = counter("reused");
            try (Connection second = at(lsnBefore.toLowerCase(), token()); Statement st = second.createStatement()) {
                assertThat(rows(st)).isEqualTo(OLD);
            }
            assertThat(counter("started")).as("computes started for the second connection").isEqualTo(started);
            assertThat(counter("reused")).isEqualTo(reused + 1);
            List<PastComputes.Running> computes = t.server().controlPlane().pastComputes().running().stream()
                    .filter(r -> r.point().equals(point) && r.branch().equals(P + "/branches/production")).toList();
            assertThat(computes).hasSize(1);
            assertThat(computes.get(0).connections()).isEqualTo(1);
        }
        // an ephemeral compute is no endpoint and no branch
        assertThat(StreamSupport.stream(w.postgres().listEndpoints(P + "/branches/production").spliterator(), false))
                .extracting(e -> e.getName()).containsExactly(EP);
        assertThat(StreamSupport.stream(w.postgres().listBranches(P).spliterator(), false)).hasSize(1);
    }

    double counter(String compute) throws Exception {
        double v = MetricsTest.value(t.http("GET", "/metrics", null, t.token()).body(), "oxbow_time_travel_connections_total",
                "compute=\"" + compute + "\"");
        return Math.max(0, v);
    }

    @Test
    void pointsOutsideTheRestoreWindowInTheFutureOrMalformedAreRefused() {
        assertRefused(() -> at(Instant.now().minus(Duration.ofDays(400)).toString(), token()), "22023", "restore window",
                "history_retention_duration");
        assertRefused(() -> at(Instant.now().plus(Duration.ofHours(1)).toString(), token()), "22023", "in the future");
        assertRefused(() -> at("yesterday", token()), "22023", "malformed past point");
        assertRefused(() -> at("2026-11-30T09:00:00", token()), "22023", "RFC 3339"); // no offset: which zone is unknown
        assertRefused(() -> at("10/0", token()), "22023", "ahead of branch");
    }

    @Test
    void aCallerWhoCannotConnectToTheEndpointCannotTimeTravelIt() throws Exception {
        WorkspaceClient stranger = t.sdk(t.userWithToken("tt-stranger@example.com"));
        assertThatThrownBy(() -> stranger.postgres().generateDatabaseCredential(new GenerateDatabaseCredentialRequest().setEndpoint(EP)))
                .as("the API gives a stranger no credential for the endpoint").isInstanceOf(com.databricks.sdk.core.DatabricksError.class);
        var tokens = t.server().controlPlane().tokens();
        // a credential signed for this endpoint but held by someone with no role or access here
        String strangers = tokens.issue("tt-stranger@example.com", EP, uid, Duration.ofMinutes(5)).token();
        assertRefused(() -> at(before.toString(), strangers, "tt-stranger@example.com"), "28000", "tt-stranger@example.com");
        // the owner's credential for another endpoint does not open this one's past
        String elsewhere = tokens.issue(USER, "projects/elsewhere/branches/production/endpoints/primary", "ep-elsewhere-1", Duration.ofMinutes(5)).token();
        assertRefused(() -> at(before.toString(), elsewhere), "28000", "not " + uid);
        assertRefused(() -> at(before.toString(), "not-a-password"), "28P01", "password authentication failed");
    }

    static void assertRefused(org.assertj.core.api.ThrowableAssert.ThrowingCallable connect, String sqlState, String... fragments) {
        assertThatThrownBy(connect).isInstanceOfSatisfying(PSQLException.class, e -> {
            assertThat(e.getSQLState()).as(e.getMessage()).isEqualTo(sqlState);
            for (String f : fragments) {
                assertThat(e.getMessage()).contains(f);
            }
        });
    }
}
