package dev.oxbow.server;

import com.databricks.sdk.WorkspaceClient;
import com.databricks.sdk.service.postgres.CreateProjectRequest;
import com.databricks.sdk.service.postgres.DeleteProjectRequest;
import com.databricks.sdk.service.postgres.GenerateDatabaseCredentialRequest;
import com.databricks.sdk.service.postgres.Project;
import com.databricks.sdk.service.postgres.RequestedClaims;
import com.databricks.sdk.service.postgres.RequestedClaimsPermissionSet;
import com.databricks.sdk.service.postgres.RequestedResource;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.postgresql.util.PSQLException;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Scoped database credentials through the proxy: a READ_ONLY claim on a table gives a login that reads that table and
 * nothing else, and the client cannot talk its way out (SET, SET ROLE, other tables, DDL); a group credential logs in as
 * the group's role, for members only. The credentials come from the official Java SDK.
 */
@ExtendWith(SharedServer.class)
class ScopedCredentialTest {
    static TestServer t;
    static WorkspaceClient w;
    static final ObjectMapper json = new ObjectMapper();
    static final String P = "projects/scoped";
    static final String EP = P + "/branches/production/endpoints/primary";
    static final String USER = "admin@oxbow.local";
    static String uid;

    @BeforeAll
    static void start(TestServer shared) throws Exception {
        t = shared;
        w = t.sdk();
        w.postgres().createProject(new CreateProjectRequest().setProjectId("scoped").setProject(new Project())).waitForCompletion();
        uid = w.postgres().getEndpoint(EP).getUid();
        try (Connection c = ProxyClients.jdbc(t, uid, USER, credential(null), "require"); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE shared_data (id int primary key, v text); INSERT INTO shared_data VALUES (1, 'visible')");
            st.execute("CREATE TABLE secrets (id int primary key, v text); INSERT INTO secrets VALUES (1, 'hidden')");
            st.execute("CREATE SCHEMA other; CREATE TABLE other.t (id int)");
        }
    }

    @AfterAll
    static void cleanup() {
        w.postgres().deleteProject(new DeleteProjectRequest().setName(P).setPurge(true));
    }

    static String credential(List<String> readOnlyTables) {
        var request = new GenerateDatabaseCredentialRequest().setEndpoint(EP);
        if (readOnlyTables != null) {
            request.setClaims(List.of(new RequestedClaims().setPermissionSet(RequestedClaimsPermissionSet.READ_ONLY)
                    .setResources(readOnlyTables.stream().map(n -> new RequestedResource().setTableName(n)).toList())));
        }
        return w.postgres().generateDatabaseCredential(request).getToken();
    }

    static String scalar(Statement st, String sql) throws SQLException {
        try (ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    static void refused(Statement st, String sql, String fragment) {
        assertThatThrownBy(() -> st.execute(sql)).as(sql).isInstanceOf(PSQLException.class).hasMessageContaining(fragment);
    }

    @Test
    void aReadOnlyClaimReadsItsTableAndNothingElseWhateverTheClientSets() throws Exception {
        try (Connection c = ProxyClients.jdbc(t, uid, USER, credential(List.of("public.shared_data")), "require");
             Statement st = c.createStatement()) {
            assertThat(scalar(st, "SELECT v FROM shared_data")).isEqualTo("visible");
            assertThat(scalar(st, "SELECT current_user")).startsWith("oxbow_ro_");
            refused(st, "SELECT v FROM secrets", "permission denied");
            refused(st, "SELECT * FROM other.t", "permission denied");
            refused(st, "INSERT INTO shared_data VALUES (2, 'x')", "read-only");
            // the session setting is the client's to change; the privileges are not
            st.execute("SET default_transaction_read_only = off");
            st.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE");
            refused(st, "INSERT INTO shared_data VALUES (2, 'x')", "permission denied");
            refused(st, "UPDATE shared_data SET v = 'changed'", "permission denied");
            refused(st, "DELETE FROM shared_data", "permission denied");
            refused(st, "INSERT INTO secrets VALUES (2, 'x')", "permission denied");
            refused(st, "CREATE TABLE mine (id int)", "permission denied");
            refused(st, "SET ROLE \"" + USER + "\"", "permission denied");
            refused(st, "SET ROLE databricks_superuser", "permission denied");
            refused(st, "SET SESSION AUTHORIZATION \"" + USER + "\"", "permission denied");
            // Postgres lets any role change its own session defaults; that is SET again, not a privilege
            st.execute("ALTER ROLE CURRENT_USER SET default_transaction_read_only = off");
            refused(st, "INSERT INTO shared_data VALUES (4, 'x')", "permission denied");
            refused(st, "ALTER ROLE CURRENT_USER CREATEROLE", "permission denied");
            // a GRANT without the grant option only warns "no privileges were granted"
            st.execute("GRANT INSERT ON shared_data TO CURRENT_USER");
            refused(st, "INSERT INTO shared_data VALUES (5, 'x')", "permission denied");
            refused(st, "TRUNCATE shared_data", "permission denied");
        }
        // the startup packet cannot pick another role either
        var props = new java.util.Properties();
        props.setProperty("user", USER);
        props.setProperty("password", credential(List.of("shared_data")));
        props.setProperty("sslmode", "require");
        props.setProperty("sslrootcert", t.server().caCertificate().toString());
        props.setProperty("options", "endpoint=" + uid + " -c role=databricks_superuser");
        assertThatThrownBy(() -> java.sql.DriverManager.getConnection("jdbc:postgresql://localhost:" + t.server().pgPort() + "/databricks_postgres", props)
                .close()).isInstanceOf(PSQLException.class);
        // nothing was written; a full credential still writes
        try (Connection c = ProxyClients.jdbc(t, uid, USER, credential(null), "require"); Statement st = c.createStatement()) {
            assertThat(scalar(st, "SELECT string_agg(v, ',' ORDER BY id) FROM shared_data")).isEqualTo("visible");
            assertThat(scalar(st, "SELECT count(*) FROM secrets")).isEqualTo("1");
            st.execute("INSERT INTO shared_data VALUES (3, 'full')");
            st.execute("DELETE FROM shared_data WHERE id = 3");
            assertThat(scalar(st, "SELECT current_user")).isEqualTo(USER);
        }
    }

    @Test
    void aClaimOnATableTheHolderCannotReadOrThatIsMissingGivesNoLogin() throws Exception {
        assertThatThrownBy(() -> ProxyClients.jdbc(t, uid, USER, credential(List.of("public.nope")), "require").close())
                .isInstanceOf(PSQLException.class).hasMessageContaining("does not exist");
        assertThatThrownBy(() -> ProxyClients.jdbc(t, uid, USER, credential(List.of("otherdb.public.shared_data")), "require").close())
                .isInstanceOf(PSQLException.class).hasMessageContaining("none of them in database");
        var bad = t.http("POST", "/api/2.0/postgres/credentials", "{\"endpoint\":\"" + EP + "\",\"claims\":[{\"permission_set\":\"READ_WRITE\","
                + "\"resources\":[{\"table_name\":\"shared_data\"}]}]}");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.body()).contains("READ_ONLY");
        var injected = t.http("POST", "/api/2.0/postgres/credentials", "{\"endpoint\":\"" + EP + "\",\"claims\":[{\"permission_set\":\"READ_ONLY\","
                + "\"resources\":[{\"table_name\":\"x; DROP TABLE secrets\"}]}]}");
        assertThat(injected.statusCode()).isEqualTo(400);
    }

    @Test
    void aGroupCredentialLogsInAsTheGroupsRoleForMembersOnly() throws Exception {
        String adminId = json.readTree(t.http("GET", "/api/2.0/preview/scim/v2/Me", null).body()).path("id").asText();
        var group = t.http("POST", "/api/2.0/preview/scim/v2/Groups", "{\"displayName\":\"scoped-readers\",\"members\":[{\"value\":\"" + adminId + "\"}]}");
        assertThat(group.statusCode()).as(group.body()).isEqualTo(201);
        t.awaitOperation(json.readTree(t.http("POST", "/api/2.0/postgres/" + P + "/branches/production/roles",
                "{\"spec\":{\"postgres_role\":\"scoped-readers\",\"identity_type\":\"GROUP\",\"auth_method\":\"LAKEBASE_OAUTH_V1\"}}").body())
                .path("name").asText(), java.time.Duration.ofSeconds(60));
        var made = t.http("POST", "/api/2.0/postgres/credentials", "{\"endpoint\":\"" + EP + "\",\"group_name\":\"scoped-readers\"}");
        assertThat(made.statusCode()).as(made.body()).isEqualTo(200);
        String token = json.readTree(made.body()).path("token").asText();
        try (Connection c = ProxyClients.jdbc(t, uid, "scoped-readers", token, "require"); Statement st = c.createStatement()) {
            assertThat(scalar(st, "SELECT current_user")).isEqualTo("scoped-readers");
        }
        // not as the holder's own role, and not for a group the caller is not in
        assertThatThrownBy(() -> ProxyClients.jdbc(t, uid, USER, token, "require").close()).isInstanceOf(PSQLException.class);
        t.http("POST", "/api/2.0/preview/scim/v2/Groups", "{\"displayName\":\"scoped-others\",\"members\":[]}");
        var notMember = t.http("POST", "/api/2.0/postgres/credentials", "{\"endpoint\":\"" + EP + "\",\"group_name\":\"scoped-others\"}");
        assertThat(notMember.statusCode()).isEqualTo(403);
        // leaving the group stops the next login with a credential minted before
        String groupId = json.readTree(group.body()).path("id").asText();
        t.http("PATCH", "/api/2.0/preview/scim/v2/Groups/" + groupId,
                "{\"Operations\":[{\"op\":\"remove\",\"path\":\"members\",\"value\":[{\"value\":\"" + adminId + "\"}]}]}");
        assertThatThrownBy(() -> ProxyClients.jdbc(t, uid, "scoped-readers", token, "require").close())
                .isInstanceOf(PSQLException.class).hasMessageContaining("not a member");
    }
}
