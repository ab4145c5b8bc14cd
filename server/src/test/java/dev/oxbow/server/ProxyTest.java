package dev.oxbow.server;

import org.junit.jupiter.api.extension.RegisterExtension;

import com.databricks.sdk.WorkspaceClient;
import com.databricks.sdk.core.error.platform.InvalidParameterValue;
import com.databricks.sdk.core.error.platform.NotFound;
import com.databricks.sdk.service.postgres.*;
import com.google.protobuf.FieldMask;
import com.google.protobuf.util.Durations;
import dev.oxbow.controlplane.resource.Limits;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.util.PSQLException;

import java.io.OutputStream;
import java.net.Socket;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The proxy with real clients, real TLS and real computes: routing, logins, refusals, wake-up and suspension. */
class ProxyTest {
    @RegisterExtension
    static final TestHomes homes = new TestHomes();
    static TestServer t;
    static WorkspaceClient w;
    static final String P = "projects/door";
    static final String EP = P + "/branches/production/endpoints/primary";
    static String uid;
    static String host;
    static final String USER = "admin@oxbow.local";

    @BeforeAll
    static void start() throws Exception {
        Limits d = Limits.defaults();
        // a 1 s minimum suspend timeout so suspension can be observed in a test
        Limits fast = new Limits(d.maxAutoscaleCu(), d.maxSpreadCu(), d.branchesPerProject(), d.protectedBranchesPerProject(),
                d.activeComputesPerProject(), d.rolesPerBranch(), d.databasesPerBranch(), d.maxBranchTtlSeconds(), 1,
                d.maxSuspendSeconds(), d.minRetentionSeconds(), d.maxRetentionSeconds(), d.projects());
        t = TestServer.start(TestServer.config(homes.newHome("proxy")).withLimits(fast)
                .withTimers(Duration.ofMillis(200), Duration.ofHours(24), Duration.ofDays(3)));
        w = t.sdk();
        w.postgres().createProject(new CreateProjectRequest().setProjectId("door").setProject(new Project())).waitForCompletion();
        Endpoint e = w.postgres().getEndpoint(EP);
        uid = e.getUid();
        host = e.getStatus().getHosts().getHost();
    }

    @AfterAll
    static void stop() {
        t.close();
    }

    static String token(String endpoint) {
        return w.postgres().generateDatabaseCredential(new GenerateDatabaseCredentialRequest().setEndpoint(endpoint)).getToken();
    }

    static String scalar(Connection c, String sql) throws Exception {
        try (c; ResultSet rs = c.createStatement().executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    @Test
    void jdbcLogsInWithATokenOverTls() throws Exception {
        DatabaseCredential cred = w.postgres().generateDatabaseCredential(new GenerateDatabaseCredentialRequest().setEndpoint(EP));
        assertThat(Durations.toSeconds(com.google.protobuf.util.Timestamps.between(com.google.protobuf.util.Timestamps.fromMillis(System.currentTimeMillis()),
                cred.getExpireTime()))).isBetween(3500L, 3600L);
        assertThat(scalar(ProxyClients.jdbc(t, uid, USER, cred.getToken(), "require"), "SELECT current_user")).isEqualTo(USER);
        assertThat(scalar(ProxyClients.jdbc(t, uid, USER, cred.getToken(), "verify-full"), "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"))
                .as("TLS ends at the proxy; the compute sees a local socket").isEqualTo("f");
        assertThatThrownBy(() -> w.postgres().generateDatabaseCredential(new GenerateDatabaseCredentialRequest().setEndpoint(P + "/branches/production/endpoints/nope")))
                .isInstanceOf(NotFound.class);
        assertThatThrownBy(() -> w.postgres().generateDatabaseCredential(new GenerateDatabaseCredentialRequest().setEndpoint(EP).setTtl(Durations.fromSeconds(10))))
                .isInstanceOf(InvalidParameterValue.class);
    }

    /**
     * A backend started ahead (a spare, after a login like it) serves the next login with the same role, database and
     * startup options: the session is a backend that was idle before the client connected. A login to another database
     * never gets it (the spare is keyed by every startup parameter, so no login is served a backend meant for another).
     */
    @Test
    void theNextLoginLikeTheLastGetsASpareBackendAndNoOtherLoginDoes() throws Exception {
        String tok = token(EP);
        String idle = "SELECT pid FROM pg_stat_activity WHERE usename = '" + USER + "' AND state = 'idle' AND backend_type = 'client backend'";
        java.util.Set<String> ours = new java.util.HashSet<>();
        List<Connection> held = new java.util.ArrayList<>();
        try {
            java.util.function.Supplier<Connection> login = () -> {
                try {
                    return ProxyClients.jdbc(t, uid, USER, tok, "require");
                } catch (java.sql.SQLException e) {
                    throw new IllegalStateException(e);
                }
            };
            held.add(login.get());
            ours.add(pid(held.getLast()));
            boolean served = false;
            // a spare belongs to one of the proxy's event loops; a login lands on one loop or the other
            for (int i = 0; i < 6 && !served; i++) {
                ReaperTest.awaitTrue(() -> !spares(idle, ours).isEmpty());
                java.util.Set<String> before = spares(idle, ours);
                held.add(login.get());
                String pid = pid(held.getLast());
                ours.add(pid);
                served = before.contains(pid);
            }
            assertThat(served).as("a login was served a backend that was idle before it connected").isTrue();

            ReaperTest.awaitTrue(() -> !spares(idle, ours).isEmpty());
            java.util.Set<String> before = spares(idle, ours);
            java.util.Properties p = new java.util.Properties();
            p.setProperty("user", USER);
            p.setProperty("password", tok);
            p.setProperty("sslmode", "require");
            p.setProperty("options", "endpoint=" + uid);
            try (Connection other = java.sql.DriverManager.getConnection("jdbc:postgresql://localhost:" + t.server().pgPort() + "/postgres", p)) {
                assertThat(before).as("another database's login gets a backend of its own").doesNotContain(pid(other));
                assertThat(scalar(other, "SELECT current_database() || ' ' || session_user")).isEqualTo("postgres " + USER);
            }
        } finally {
            for (Connection c : held) {
                c.close();
            }
        }
    }

    /**
     * A spare backend of a database its client just left never makes a DROP DATABASE from a session opened before fail
     * ("is being accessed by other users"): it lives less than the 5 s the drop waits for other sessions to end.
     */
    @Test
    void aDatabaseJustLeftCanBeDroppedFromAnOlderSession() throws Exception {
        String tok = token(EP);
        try (Connection older = ProxyClients.jdbc(t, uid, USER, tok, "require")) {
            Sql.exec(t, EP, "postgres", "CREATE DATABASE left_behind OWNER \"" + USER + "\"");
            java.util.Properties p = new java.util.Properties();
            p.setProperty("user", USER);
            p.setProperty("password", tok);
            p.setProperty("sslmode", "require");
            p.setProperty("options", "endpoint=" + uid);
            // twice, so each event loop is likely to hold a spare of it
            for (int i = 0; i < 2; i++) {
                try (Connection c = java.sql.DriverManager.getConnection("jdbc:postgresql://localhost:" + t.server().pgPort() + "/left_behind", p)) {
                    assertThat(scalar(c, "SELECT current_database()")).isEqualTo("left_behind");
                }
            }
            older.createStatement().execute("DROP DATABASE left_behind");
            try (ResultSet rs = older.createStatement().executeQuery("SELECT count(*) FROM pg_database WHERE datname = 'left_behind'")) {
                rs.next();
                assertThat(rs.getInt(1)).isZero();
            }
        }
    }

    /** Idle backends of the role that no connection of the test holds: spares the proxy started ahead. */
    private static java.util.Set<String> spares(String idleQuery, java.util.Set<String> ours) throws Exception {
        java.util.Set<String> pids = new java.util.HashSet<>(Sql.column(t, EP, "databricks_postgres", idleQuery));
        pids.removeAll(ours);
        return pids;
    }

    private static String pid(Connection c) throws Exception {
        try (ResultSet rs = c.createStatement().executeQuery("SELECT pg_backend_pid()")) {
            rs.next();
            return rs.getString(1);
        }
    }

    @Test
    void psqlAndPsycopgRouteBySniWithVerifyFull() throws Exception {
        assumeTrue(ProxyClients.hasPsql(), "psql not installed (scripts/setup --for-tests installs it)");
        var r = ProxyClients.psql(t, host, USER, token(EP), "verify-full", "SELECT 40 + 2");
        assertThat(r.output()).isEqualTo("42");
        assertThat(r.exit()).isZero();
        assumeTrue(ProxyClients.hasPsycopg(), "python3-psycopg not installed (scripts/setup --for-tests installs it)");
        var py = ProxyClients.psycopg(t, host, USER, token(EP), "SELECT current_database()");
        assertThat(py.output()).isEqualTo("databricks_postgres");
    }

    @Test
    void refusesWhatItMust() throws Exception {
        String good = token(EP);
        // plaintext
        assertThatThrownBy(() -> ProxyClients.jdbc(t, uid, USER, good, "disable"))
                .isInstanceOf(PSQLException.class).hasMessageContaining("TLS");
        // tampered signature
        String tampered = good.substring(0, good.length() - 3) + (good.endsWith("AAA") ? "BBB" : "AAA");
        assertThatThrownBy(() -> ProxyClients.jdbc(t, uid, USER, tampered, "require"))
                .isInstanceOf(PSQLException.class).satisfies(e -> assertThat(((PSQLException) e).getSQLState()).isEqualTo("28P01"));
        // a PAT is not a database password
        assertThatThrownBy(() -> ProxyClients.jdbc(t, uid, USER, t.token(), "require"))
                .isInstanceOf(PSQLException.class).hasMessageContaining("personal access tokens");
        // expired
        String expired = t.server().controlPlane().tokens().issue(USER, EP, uid, Duration.ofMillis(500)).token();
        Thread.sleep(1100);
        assertThatThrownBy(() -> ProxyClients.jdbc(t, uid, USER, expired, "require"))
                .isInstanceOf(PSQLException.class).hasMessageContaining("expired");
        // token for another user, and a role that does not exist on the branch
        assertThatThrownBy(() -> ProxyClients.jdbc(t, uid, "someone@else.com", good, "require"))
                .isInstanceOf(PSQLException.class).satisfies(e -> assertThat(((PSQLException) e).getSQLState()).isEqualTo("28000"));
        String ghost = t.server().controlPlane().tokens().issue("ghost@oxbow.local", EP, uid, Duration.ofMinutes(5)).token();
        assertThatThrownBy(() -> ProxyClients.jdbc(t, uid, "ghost@oxbow.local", ghost, "require"))
                .isInstanceOf(PSQLException.class).hasMessageContaining("does not exist on branch");
        // unknown endpoint, and a hostile options value
        assertThatThrownBy(() -> ProxyClients.jdbc(t, "ep-does-not-exist", USER, good, "require"))
                .isInstanceOf(PSQLException.class).hasMessageContaining("not found");
        assertThatThrownBy(() -> ProxyClients.jdbc(t, uid + " -c role=oxbow_admin endpoint=ep-x", USER, good, "require"))
                .isInstanceOf(PSQLException.class).hasMessageContaining("two different endpoints");
    }

    @Test
    void keyRotationKeepsIssuedTokensValid() throws Exception {
        String before = token(EP);
        t.server().controlPlane().tokens().rotate();
        String after = token(EP);
        assertThat(scalar(ProxyClients.jdbc(t, uid, USER, before, "require"), "SELECT 1")).isEqualTo("1");
        assertThat(scalar(ProxyClients.jdbc(t, uid, USER, after, "require"), "SELECT 1")).isEqualTo("1");
    }

    @Test
    void tokenForAnotherEndpointIsRefused() throws Exception {
        w.postgres().createBranch(new CreateBranchRequest().setParent(P).setBranchId("other")
                .setBranch(new Branch().setSpec(new BranchSpec().setNoExpiry(true)))).waitForCompletion();
        String otherEp = P + "/branches/other/endpoints/primary";
        String otherUid = w.postgres().getEndpoint(otherEp).getUid();
        String forOther = token(otherEp);
        assertThatThrownBy(() -> ProxyClients.jdbc(t, uid, USER, forOther, "require"))
                .isInstanceOf(PSQLException.class).hasMessageContaining("issued for endpoint");
        assertThat(scalar(ProxyClients.jdbc(t, otherUid, USER, forOther, "require"), "SELECT 1")).isEqualTo("1");
    }

    @Test
    void garbageAndAbruptDisconnectsLeaveTheProxyServing() throws Exception {
        Random random = new Random(42);
        // 1,000 random openings cover the decoder's paths (2,000 took 4-13 s of the suite; the spare-backend check took its place)
        for (int i = 0; i < 1000; i++) {
            try (Socket s = new Socket("127.0.0.1", t.server().pgPort())) {
                OutputStream out = s.getOutputStream();
                byte[] junk = new byte[random.nextInt(64)];
                random.nextBytes(junk);
                if (i % 3 == 0 && junk.length >= 8) {
                    // a plausible length prefix with a truncated body
                    junk[0] = 0; junk[1] = 0; junk[2] = 0; junk[3] = (byte) 100;
                }
                out.write(junk);
                out.flush();
            } catch (java.io.IOException closedByProxy) {
                // fine: the proxy may hang up first
            }
        }
        // the flood's last connections may still count as pending on the other event loop, so a login right after it can
        // itself be pushed out by the per-address cap (as designed: the oldest pending connection of an address makes room);
        // once the proxy has caught up it serves
        String tok = token(EP);
        ReaperTest.awaitTrue(() -> {
            try {
                return "1".equals(scalar(ProxyClients.jdbc(t, uid, USER, tok, "require"), "SELECT 1"));
            } catch (PSQLException pushedOut) {
                return false;
            }
        });
    }

    @Test
    void nativePasswordRolesUseScramWhenTheProjectAllowsIt() throws Exception {
        w.postgres().createRole(new CreateRoleRequest().setParent(P + "/branches/production").setRoleId("app-login")
                .setRole(new Role().setSpec(new RoleRoleSpec().setPostgresRole("app_login").setAuthMethod(RoleAuthMethod.PG_PASSWORD_SCRAM_SHA_256))))
                .waitForCompletion();
        var reset = new com.fasterxml.jackson.databind.ObjectMapper().readTree(
                t.http("POST", "/api/2.0/postgres/" + P + "/branches/production/roles/app-login/reset_password", "{}").body());
        String password = reset.path("password").asText();
        assertThat(password).hasSizeGreaterThanOrEqualTo(16);
        assertThat(t.server().controlPlane().store().roles().get(P + "/branches/production/roles/app-login").orElseThrow().scramVerifier())
                .startsWith("SCRAM-SHA-256$").doesNotContain(password);

        // native login is off by default
        assertThatThrownBy(() -> ProxyClients.jdbc(t, uid, "app_login", password, "require")).isInstanceOf(PSQLException.class);
        w.postgres().updateProject(new UpdateProjectRequest().setName(P).setProject(new Project().setSpec(new ProjectSpec().setEnablePgNativeLogin(true)))
                .setUpdateMask(FieldMask.newBuilder().addPaths("spec.enable_pg_native_login").build())).waitForCompletion();
        assertThat(scalar(ProxyClients.jdbc(t, uid, "app_login", password, "require"), "SELECT current_user")).isEqualTo("app_login");
        assertThatThrownBy(() -> ProxyClients.jdbc(t, uid, "app_login", password + "x", "require"))
                .isInstanceOf(PSQLException.class).satisfies(e -> assertThat(((PSQLException) e).getSQLState()).isEqualTo("28P01"));
    }

    @Test
    void childrenOfProtectedBranchesGetNewPasswords() throws Exception {
        w.postgres().createProject(new CreateProjectRequest().setProjectId("vault")
                .setProject(new Project().setSpec(new ProjectSpec().setEnablePgNativeLogin(true)))).waitForCompletion();
        String prod = "projects/vault/branches/production";
        w.postgres().createRole(new CreateRoleRequest().setParent(prod).setRoleId("keeper")
                .setRole(new Role().setSpec(new RoleRoleSpec().setPostgresRole("keeper").setAuthMethod(RoleAuthMethod.PG_PASSWORD_SCRAM_SHA_256))))
                .waitForCompletion();
        String password = new com.fasterxml.jackson.databind.ObjectMapper().readTree(
                t.http("POST", "/api/2.0/postgres/" + prod + "/roles/keeper/reset_password", "{}").body()).path("password").asText();
        w.postgres().updateBranch(new UpdateBranchRequest().setName(prod).setBranch(new Branch().setSpec(new BranchSpec().setIsProtected(true)))
                .setUpdateMask(FieldMask.newBuilder().addPaths("spec.is_protected").build())).waitForCompletion();
        w.postgres().createBranch(new CreateBranchRequest().setParent("projects/vault").setBranchId("copy")
                .setBranch(new Branch().setSpec(new BranchSpec().setNoExpiry(true)))).waitForCompletion();
        String prodUid = w.postgres().getEndpoint(prod + "/endpoints/primary").getUid();
        String copyUid = w.postgres().getEndpoint("projects/vault/branches/copy/endpoints/primary").getUid();
        assertThat(scalar(ProxyClients.jdbc(t, prodUid, "keeper", password, "require"), "SELECT current_user")).isEqualTo("keeper");
        assertThatThrownBy(() -> ProxyClients.jdbc(t, copyUid, "keeper", password, "require"))
                .isInstanceOf(PSQLException.class).satisfies(e -> assertThat(((PSQLException) e).getSQLState()).isEqualTo("28P01"));
        w.postgres().updateBranch(new UpdateBranchRequest().setName(prod).setBranch(new Branch().setSpec(new BranchSpec().setIsProtected(false)))
                .setUpdateMask(FieldMask.newBuilder().addPaths("spec.is_protected").build())).waitForCompletion();
    }

    @Test
    void tooManyConnectionsIsAnErrorNotAHang() throws Exception {
        w.postgres().createBranch(new CreateBranchRequest().setParent(P).setBranchId("small")
                .setBranch(new Branch().setSpec(new BranchSpec().setNoExpiry(true)))).waitForCompletion();
        String ep = P + "/branches/small/endpoints/primary";
        // max_connections follows the CU (a project cannot set it), so the limit here is the role's
        Sql.exec(t, ep, "postgres", "ALTER ROLE \"" + USER + "\" CONNECTION LIMIT 4");
        String smallUid = w.postgres().getEndpoint(ep).getUid();
        String tok = token(ep);
        List<Connection> held = ProxyClients.open(4, t, smallUid, USER, tok);
        try {
            assertThatThrownBy(() -> ProxyClients.jdbc(t, smallUid, USER, tok, "require"))
                    .isInstanceOf(PSQLException.class).satisfies(e -> assertThat(((PSQLException) e).getSQLState()).isEqualTo("53300"));
        } finally {
            for (Connection c : held) {
                c.close();
            }
        }
    }

    @Test
    void idleEndpointsSuspendAndWakeOnConnect() throws Exception {
        w.postgres().createBranch(new CreateBranchRequest().setParent(P).setBranchId("sleepy")
                .setBranch(new Branch().setSpec(new BranchSpec().setNoExpiry(true)))).waitForCompletion();
        String ep = P + "/branches/sleepy/endpoints/primary";
        w.postgres().updateEndpoint(new UpdateEndpointRequest().setName(ep)
                .setEndpoint(new Endpoint().setSpec(new EndpointSpec().setEndpointType(EndpointType.ENDPOINT_TYPE_READ_WRITE)
                        .setSuspendTimeoutDuration(Durations.fromSeconds(1))))
                .setUpdateMask(FieldMask.newBuilder().addPaths("spec.suspension").build())).waitForCompletion();
        String sleepyUid = w.postgres().getEndpoint(ep).getUid();
        String tok = token(ep);
        Connection held = ProxyClients.jdbc(t, sleepyUid, USER, tok, "require");
        Thread.sleep(1600);
        assertThat(w.postgres().getEndpoint(ep).getStatus().getCurrentState()).as("a connected client keeps it awake").isEqualTo(EndpointStatusState.ACTIVE);
        held.close();
        ReaperTest.awaitTrue(() -> w.postgres().getEndpoint(ep).getStatus().getCurrentState() == EndpointStatusState.IDLE);
        var record = t.server().controlPlane().store().endpoints().get(ep).orElseThrow();
        assertThat(t.server().controlPlane().computes().running(record)).isFalse();

        // concurrent first connections share one wake-up and all get served
        var pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            var results = pool.invokeAll(java.util.Collections.nCopies(4, () -> scalar(ProxyClients.jdbc(t, sleepyUid, USER, tok, "require"), "SELECT 7")));
            for (var r : results) {
                assertThat(r.get()).isEqualTo("7");
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(w.postgres().getEndpoint(ep).getStatus().getCurrentState()).isIn(EndpointStatusState.ACTIVE, EndpointStatusState.IDLE);
    }

    @Test
    void disabledEndpointsRefuseClearly() throws Exception {
        w.postgres().createBranch(new CreateBranchRequest().setParent(P).setBranchId("off")
                .setBranch(new Branch().setSpec(new BranchSpec().setNoExpiry(true)))).waitForCompletion();
        String ep = P + "/branches/off/endpoints/primary";
        String offUid = w.postgres().getEndpoint(ep).getUid();
        String tok = token(ep);
        w.postgres().updateEndpoint(new UpdateEndpointRequest().setName(ep)
                .setEndpoint(new Endpoint().setSpec(new EndpointSpec().setEndpointType(EndpointType.ENDPOINT_TYPE_READ_WRITE).setDisabled(true)))
                .setUpdateMask(FieldMask.newBuilder().addPaths("spec.disabled").build())).waitForCompletion();
        assertThatThrownBy(() -> ProxyClients.jdbc(t, offUid, USER, tok, "require"))
                .isInstanceOf(PSQLException.class).hasMessageContaining("disabled");
    }

    /**
     * The login checks keep what they read of the metadata while it is unchanged: each change below follows a login
     * that put the old state in that cache, and the very next login must be checked against the new one.
     */
    @Test
    void loginChecksSeeEveryMetadataChangeAtOnce() throws Exception {
        String proj = "projects/cached";
        var create = w.postgres().createProject(new CreateProjectRequest().setProjectId("cached")
                .setProject(new Project().setSpec(new ProjectSpec().setEnablePgNativeLogin(true))));
        SdkOperations.await(t, create.getName(), create::waitForCompletion);
        String prod = proj + "/branches/production";
        String ep = prod + "/endpoints/primary";
        String cachedUid = w.postgres().getEndpoint(ep).getUid();
        w.postgres().createRole(new CreateRoleRequest().setParent(prod).setRoleId("keeper")
                .setRole(new Role().setSpec(new RoleRoleSpec().setPostgresRole("keeper").setAuthMethod(RoleAuthMethod.PG_PASSWORD_SCRAM_SHA_256))))
                .waitForCompletion();
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        String first = json.readTree(t.http("POST", "/api/2.0/postgres/" + prod + "/roles/keeper/reset_password", "{}").body()).path("password").asText();
        for (int i = 0; i < 2; i++) {
            assertThat(scalar(ProxyClients.jdbc(t, cachedUid, "keeper", first, "require"), "SELECT current_user")).isEqualTo("keeper");
        }

        // a new password: the old one is refused on the next login
        String second = json.readTree(t.http("POST", "/api/2.0/postgres/" + prod + "/roles/keeper/reset_password", "{}").body()).path("password").asText();
        assertThatThrownBy(() -> ProxyClients.jdbc(t, cachedUid, "keeper", first, "require"))
                .isInstanceOf(PSQLException.class).satisfies(e -> assertThat(((PSQLException) e).getSQLState()).isEqualTo("28P01"));
        assertThat(scalar(ProxyClients.jdbc(t, cachedUid, "keeper", second, "require"), "SELECT current_user")).isEqualTo("keeper");

        // native logins turned off for the project
        w.postgres().updateProject(new UpdateProjectRequest().setName(proj).setProject(new Project().setSpec(new ProjectSpec().setEnablePgNativeLogin(false)))
                .setUpdateMask(FieldMask.newBuilder().addPaths("spec.enable_pg_native_login").build())).waitForCompletion();
        assertThatThrownBy(() -> ProxyClients.jdbc(t, cachedUid, "keeper", second, "require")).isInstanceOf(PSQLException.class);

        // the role deleted
        String tok = token(ep);
        assertThat(scalar(ProxyClients.jdbc(t, cachedUid, USER, tok, "require"), "SELECT current_user")).isEqualTo(USER);
        w.postgres().updateProject(new UpdateProjectRequest().setName(proj).setProject(new Project().setSpec(new ProjectSpec().setEnablePgNativeLogin(true)))
                .setUpdateMask(FieldMask.newBuilder().addPaths("spec.enable_pg_native_login").build())).waitForCompletion();
        assertThat(scalar(ProxyClients.jdbc(t, cachedUid, "keeper", second, "require"), "SELECT current_user")).isEqualTo("keeper");
        w.postgres().deleteRole(prod + "/roles/keeper").waitForCompletion();
        assertThatThrownBy(() -> ProxyClients.jdbc(t, cachedUid, "keeper", second, "require")).isInstanceOf(PSQLException.class);

        // the endpoint disabled, right after a token login
        assertThat(scalar(ProxyClients.jdbc(t, cachedUid, USER, tok, "require"), "SELECT current_user")).isEqualTo(USER);
        w.postgres().updateEndpoint(new UpdateEndpointRequest().setName(ep)
                .setEndpoint(new Endpoint().setSpec(new EndpointSpec().setEndpointType(EndpointType.ENDPOINT_TYPE_READ_WRITE).setDisabled(true)))
                .setUpdateMask(FieldMask.newBuilder().addPaths("spec.disabled").build())).waitForCompletion();
        assertThatThrownBy(() -> ProxyClients.jdbc(t, cachedUid, USER, tok, "require"))
                .isInstanceOf(PSQLException.class).hasMessageContaining("disabled");

        // the project deleted: its endpoint no longer routes
        w.postgres().deleteProject(proj).waitForCompletion();
        assertThatThrownBy(() -> ProxyClients.jdbc(t, cachedUid, USER, tok, "require")).isInstanceOf(PSQLException.class);
    }
}
