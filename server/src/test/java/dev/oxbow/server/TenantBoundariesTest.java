package dev.oxbow.server;

import com.databricks.sdk.WorkspaceClient;
import com.databricks.sdk.core.error.platform.NotFound;
import com.databricks.sdk.service.postgres.*;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.postgresql.util.PSQLException;

import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * An ordinary user tries to read what belongs to a project they do not own through names that look alike or that
 * were used before: audit events of a project whose id merely starts with theirs, the operations and audit log of a
 * purged project whose id they took, and the projects and credentials of a deleted user whose e-mail they got.
 */
class TenantBoundariesTest {
    @RegisterExtension
    static final TestHomes homes = new TestHomes();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static TestServer t;

    @BeforeAll
    static void start() throws Exception {
        t = TestServer.start(homes.newHome("tenants"));
    }

    @AfterAll
    static void stop() {
        t.close();
    }

    private static void createProject(WorkspaceClient w, String id) throws Exception {
        var op = w.postgres().createProject(new CreateProjectRequest().setProjectId(id).setProject(new Project()));
        SdkOperations.await(t, op.getName(), op::waitForCompletion);
    }

    private static List<String> auditResources(String resource, String token) throws Exception {
        var r = t.http("GET", "/api/2.0/oxbow/audit-events?resource=" + resource, null, token);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        List<String> out = new ArrayList<>();
        JSON.readTree(r.body()).path("events").forEach(e -> out.add(e.path("resource").asText()));
        return out;
    }

    @Test
    void auditFilterIsAPathNotAStringPrefix() throws Exception {
        t.createUser("prefix@example.com");
        String token = t.tokenFor("prefix@example.com");
        createProject(t.sdk(), "adminp");
        t.sdk().postgres().updateProject(new UpdateProjectRequest().setName("projects/adminp")
                .setProject(new Project().setSpec(new ProjectSpec().setDisplayName("secret plans")))
                .setUpdateMask(com.google.protobuf.FieldMask.newBuilder().addPaths("spec.display_name").build())).waitForCompletion();
        createProject(t.sdk(token), "a");
        t.sdk(token).postgres().updateProject(new UpdateProjectRequest().setName("projects/a")
                .setProject(new Project().setSpec(new ProjectSpec().setDisplayName("mine")))
                .setUpdateMask(com.google.protobuf.FieldMask.newBuilder().addPaths("spec.display_name").build())).waitForCompletion();

        List<String> seen = auditResources("projects/a", token);
        assertThat(seen).isNotEmpty().allSatisfy(r -> assertThat(r).matches("projects/a(/.*)?"));
        // the admin still sees both
        assertThat(auditResources("projects/adminp", t.token())).isNotEmpty();
        assertThat(t.http("GET", "/api/2.0/oxbow/audit-events?resource=projects/adminp", null, token).statusCode()).isIn(403, 404);
    }

    @Test
    void aReusedProjectIdInheritsNoOperationsOrAuditEvents() throws Exception {
        t.createUser("first@example.com");
        t.createUser("second@example.com");
        WorkspaceClient first = t.sdk(t.tokenFor("first@example.com"));
        String secondToken = t.tokenFor("second@example.com");
        var created = first.postgres().createProject(new CreateProjectRequest().setProjectId("reused").setProject(new Project()));
        String oldOperation = created.getName();
        SdkOperations.await(t, oldOperation, created::waitForCompletion);
        var purged = first.postgres().deleteProject(new DeleteProjectRequest().setName("projects/reused").setPurge(true));
        SdkOperations.awaitEnded(t, purged.getName(), purged::waitForCompletion);

        createProject(t.sdk(secondToken), "reused");
        var op = t.http("GET", "/api/2.0/postgres/" + oldOperation, null, secondToken);
        assertThat(op.statusCode()).as(op.body()).isEqualTo(404);
        JsonNode events = JSON.readTree(t.http("GET", "/api/2.0/oxbow/audit-events?resource=projects/reused", null, secondToken).body());
        assertThat(events.path("events")).isNotEmpty();
        events.path("events").forEach(e -> assertThat(e.path("actor").asText()).isNotEqualTo("first@example.com"));
    }

    @Test
    void aRecreatedUserWithTheSameEmailInheritsNothing() throws Exception {
        String oldId = t.createUser("leaver@example.com");
        String oldToken = t.tokenFor("leaver@example.com");
        WorkspaceClient leaver = t.sdk(oldToken);
        createProject(leaver, "leaver-app");
        String ep = "projects/leaver-app/branches/production/endpoints/primary";
        String uid = leaver.postgres().getEndpoint(ep).getUid();
        String credential = leaver.postgres().generateDatabaseCredential(new GenerateDatabaseCredentialRequest().setEndpoint(ep)).getToken();
        // the grant a project of someone else gave the leaver
        createProject(t.sdk(), "shared-app");
        var grant = t.http("PATCH", "/api/2.0/permissions/database-projects/shared-app",
                "{\"access_control_list\":[{\"user_name\":\"leaver@example.com\",\"permission_level\":\"CAN_MANAGE\"}]}");
        assertThat(grant.statusCode()).as(grant.body()).isEqualTo(200);
        try (var c = ProxyClients.jdbc(t, uid, "leaver@example.com", credential, "require"); ResultSet rs = c.createStatement().executeQuery("SELECT 1")) {
            assertThat(rs.next()).isTrue();
        }

        assertThat(t.http("DELETE", "/api/2.0/preview/scim/v2/Users/" + oldId, null).statusCode()).isIn(200, 204);
        Thread.sleep(1100); // credentials carry whole seconds: the newcomer is created in a later second
        t.createUser("leaver@example.com");
        WorkspaceClient newcomer = t.sdk(t.tokenFor("leaver@example.com"));
        assertThatThrownBy(() -> newcomer.postgres().getProject("projects/leaver-app")).isInstanceOf(NotFound.class);
        assertThatThrownBy(() -> newcomer.postgres().getProject("projects/shared-app")).isInstanceOf(NotFound.class);
        assertThat(t.http("GET", "/api/2.0/postgres/projects", null, oldToken).statusCode()).isEqualTo(401);
        // the old database credential names the same e-mail, but was issued to the deleted user
        assertThatThrownBy(() -> ProxyClients.jdbc(t, uid, "leaver@example.com", credential, "require"))
                .isInstanceOf(PSQLException.class).hasMessageContaining("issued before");
        // the admin still manages the orphaned project
        assertThat(t.sdk().postgres().getProject("projects/leaver-app").getName()).isEqualTo("projects/leaver-app");
    }

    @Test
    void everyResponseCarriesBrowserSecurityHeaders() throws Exception {
        for (String path : List.of("/", "/index.html", "/api/2.0/postgres/projects", "/healthz")) {
            var r = t.http("GET", path, null);
            assertThat(r.headers().firstValue("Content-Security-Policy")).as(path).hasValueSatisfying(v ->
                    assertThat(v).contains("default-src 'self'", "frame-ancestors 'none'").doesNotContain("unsafe-inline"));
            assertThat(r.headers().firstValue("X-Frame-Options")).as(path).contains("DENY");
            assertThat(r.headers().firstValue("X-Content-Type-Options")).as(path).contains("nosniff");
        }
    }
}
