package dev.oxbow.server;

import org.junit.jupiter.api.extension.RegisterExtension;

import com.databricks.sdk.WorkspaceClient;
import com.databricks.sdk.core.error.platform.NotFound;
import com.databricks.sdk.core.error.platform.PermissionDenied;
import com.databricks.sdk.core.error.platform.Unauthenticated;
import com.databricks.sdk.service.postgres.*;
import com.google.protobuf.FieldMask;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.util.PSQLException;

import java.sql.ResultSet;
import java.util.List;
import java.util.stream.StreamSupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Two users and a service principal: who sees what, who may connect, tokens, and the audit trail. */
class IdentityTest {
    @RegisterExtension
    static final TestHomes homes = new TestHomes();
    static final ObjectMapper JSON = new ObjectMapper();
    static TestServer t;
    static WorkspaceClient admin;

    @BeforeAll
    static void start() throws Exception {
        t = TestServer.start(homes.newHome("identity"));
        admin = t.sdk();
    }

    @AfterAll
    static void stop() {
        t.close();
    }

    static JsonNode call(String method, String path, String body, String token) throws Exception {
        var r = t.http(method, path, body, token);
        return r.body().isBlank() ? JSON.createObjectNode().put("status", r.statusCode()) : JSON.readTree(r.body()).deepCopy();
    }

    static String tokenFor(String field, String value, Long lifetime) throws Exception {
        var r = t.http("POST", "/api/2.0/token-management/on-behalf-of/tokens",
                "{\"" + field + "\":\"" + value + "\"" + (lifetime == null ? "" : ",\"lifetime_seconds\":" + lifetime) + "}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return JSON.readTree(r.body()).path("token_value").asText();
    }

    static List<String> projects(WorkspaceClient w) {
        return StreamSupport.stream(w.postgres().listProjects(new ListProjectsRequest()).spliterator(), false).map(Project::getName).toList();
    }

    @Test
    void usersServicePrincipalsPermissionsTokensAndAudit() throws Exception {
        t.createUser("alice@example.com");
        String bobId = t.createUser("bob@example.com");
        String aliceToken = tokenFor("user_name", "alice@example.com", null);
        String bobToken = tokenFor("user_name", "bob@example.com", null);
        WorkspaceClient alice = t.sdk(aliceToken);
        WorkspaceClient bob = t.sdk(bobToken);
        assertThat(alice.currentUser().me(new com.databricks.sdk.service.iam.MeRequest()).getUserName()).isEqualTo("alice@example.com");
        // only admins manage identities
        assertThat(t.http("POST", "/api/2.0/preview/scim/v2/Users", "{\"userName\":\"eve@example.com\"}", aliceToken).statusCode()).isEqualTo(403);

        var aliceApp = alice.postgres().createProject(new CreateProjectRequest().setProjectId("alice-app").setProject(new Project()));
        var bobApp = bob.postgres().createProject(new CreateProjectRequest().setProjectId("bob-app").setProject(new Project()));
        SdkOperations.await(t, aliceApp.getName(), aliceApp::waitForCompletion);
        SdkOperations.await(t, bobApp.getName(), bobApp::waitForCompletion);
        assertThat(projects(alice)).contains("projects/alice-app").doesNotContain("projects/bob-app");
        assertThat(projects(bob)).contains("projects/bob-app").doesNotContain("projects/alice-app");
        assertThat(projects(admin)).contains("projects/alice-app", "projects/bob-app");
        assertThatThrownBy(() -> bob.postgres().getProject("projects/alice-app")).isInstanceOf(NotFound.class);
        assertThatThrownBy(() -> bob.postgres().deleteProject("projects/alice-app")).isInstanceOf(NotFound.class);

        // Alice gives Bob a role on her branch and CAN_USE on the project: Bob can read and connect, not change
        String prod = "projects/alice-app/branches/production";
        assertThatThrownBy(() -> alice.postgres().createRole(new CreateRoleRequest().setParent(prod)
                .setRole(new Role().setSpec(new RoleRoleSpec().setPostgresRole("nobody@example.com").setIdentityType(RoleIdentityType.USER)))))
                .hasMessageContaining("create the identity first");
        alice.postgres().createRole(new CreateRoleRequest().setParent(prod)
                .setRole(new Role().setSpec(new RoleRoleSpec().setPostgresRole("bob@example.com").setIdentityType(RoleIdentityType.USER)))).waitForCompletion();
        String ep = prod + "/endpoints/primary";
        assertThatThrownBy(() -> bob.postgres().generateDatabaseCredential(new GenerateDatabaseCredentialRequest().setEndpoint(ep)))
                .isInstanceOf(NotFound.class);
        var grant = t.http("PATCH", "/api/2.0/permissions/database-projects/alice-app",
                "{\"access_control_list\":[{\"user_name\":\"bob@example.com\",\"permission_level\":\"CAN_USE\"}]}", aliceToken);
        assertThat(grant.statusCode()).as(grant.body()).isEqualTo(200);
        assertThat(bob.postgres().getProject("projects/alice-app").getName()).isEqualTo("projects/alice-app");
        assertThatThrownBy(() -> bob.postgres().updateProject(new UpdateProjectRequest().setName("projects/alice-app")
                .setProject(new Project().setSpec(new ProjectSpec().setDisplayName("mine")))
                .setUpdateMask(FieldMask.newBuilder().addPaths("spec.display_name").build()))).isInstanceOf(PermissionDenied.class);
        String uid = bob.postgres().getEndpoint(ep).getUid();
        String bobCredential = bob.postgres().generateDatabaseCredential(new GenerateDatabaseCredentialRequest().setEndpoint(ep)).getToken();
        try (var c = ProxyClients.jdbc(t, uid, "bob@example.com", bobCredential, "require"); ResultSet rs = c.createStatement().executeQuery("SELECT current_user")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo("bob@example.com");
        }
        // Bob's credential cannot log in as Alice
        assertThatThrownBy(() -> ProxyClients.jdbc(t, uid, "alice@example.com", bobCredential, "require")).isInstanceOf(PSQLException.class);

        // revoking stops new logins at once, even with a credential minted before
        var revoke = t.http("PUT", "/api/2.0/permissions/database-projects/alice-app", "{\"access_control_list\":[]}", aliceToken);
        assertThat(revoke.statusCode()).isEqualTo(200);
        assertThatThrownBy(() -> ProxyClients.jdbc(t, uid, "bob@example.com", bobCredential, "require"))
                .isInstanceOf(PSQLException.class).hasMessageContaining("may not use project");
        assertThatThrownBy(() -> bob.postgres().getProject("projects/alice-app")).isInstanceOf(NotFound.class);

        // grants to a group reach its members
        String daveId = t.createUser("dave@example.com");
        WorkspaceClient dave = t.sdk(tokenFor("user_name", "dave@example.com", null));
        assertThatThrownBy(() -> dave.postgres().getProject("projects/alice-app")).isInstanceOf(NotFound.class);
        var group = t.http("POST", "/api/2.0/preview/scim/v2/Groups", "{\"displayName\":\"analysts\",\"members\":[{\"value\":\"" + daveId + "\"}]}");
        assertThat(group.statusCode()).as(group.body()).isEqualTo(201);
        assertThat(t.http("PATCH", "/api/2.0/permissions/database-projects/alice-app",
                "{\"access_control_list\":[{\"group_name\":\"analysts\",\"permission_level\":\"CAN_MANAGE\"}]}", aliceToken).statusCode()).isEqualTo(200);
        assertThat(dave.postgres().getProject("projects/alice-app").getName()).isEqualTo("projects/alice-app");
        assertThat(projects(dave)).containsExactly("projects/alice-app");
        String groupId = JSON.readTree(group.body()).path("id").asText();
        assertThat(t.http("PATCH", "/api/2.0/preview/scim/v2/Groups/" + groupId,
                "{\"Operations\":[{\"op\":\"remove\",\"path\":\"members\",\"value\":[{\"value\":\"" + daveId + "\"}]}]}").statusCode()).isEqualTo(200);
        assertThatThrownBy(() -> dave.postgres().getProject("projects/alice-app")).isInstanceOf(NotFound.class);

        // service principals: their application id is their name and role
        var sp = JSON.readTree(t.http("POST", "/api/2.0/preview/scim/v2/ServicePrincipals", "{\"displayName\":\"etl\"}").body());
        String appId = sp.path("applicationId").asText();
        WorkspaceClient robot = t.sdk(tokenFor("application_id", appId, null));
        assertThat(call("GET", "/api/2.0/preview/scim/v2/Me", null, tokenFor("application_id", appId, null)).path("userName").asText()).isEqualTo(appId);
        var robotApp = robot.postgres().createProject(new CreateProjectRequest().setProjectId("robot-app").setProject(new Project()));
        SdkOperations.await(t, robotApp.getName(), robotApp::waitForCompletion);
        assertThat(projects(robot)).containsExactly("projects/robot-app");
        assertThat(robot.postgres().getProject("projects/robot-app").getStatus().getOwner()).isEqualTo(appId);

        // PATs: revoked and expired ones are refused at once
        String spare = JSON.readTree(t.http("POST", "/api/2.0/token/create", "{\"comment\":\"spare\"}", bobToken).body()).path("token_value").asText();
        JsonNode list = call("GET", "/api/2.0/token/list", null, bobToken);
        assertThat(list.path("token_infos")).hasSize(2);
        String spareId = null;
        for (JsonNode info : list.path("token_infos")) {
            if ("spare".equals(info.path("comment").asText())) {
                spareId = info.path("token_id").asText();
            }
        }
        assertThat(t.http("GET", "/api/2.0/preview/scim/v2/Me", null, spare).statusCode()).isEqualTo(200);
        assertThat(t.http("POST", "/api/2.0/token/delete", "{\"token_id\":\"" + spareId + "\"}", bobToken).statusCode()).isEqualTo(200);
        assertThat(t.http("GET", "/api/2.0/preview/scim/v2/Me", null, spare).statusCode()).isEqualTo(401);
        String shortLived = tokenFor("user_name", "bob@example.com", 1L);
        Thread.sleep(1300);
        assertThatThrownBy(() -> t.sdk(shortLived).currentUser().me(new com.databricks.sdk.service.iam.MeRequest())).isInstanceOf(Unauthenticated.class);

        // a deleted identity can no longer log in through its role
        var grantAgain = t.http("PATCH", "/api/2.0/permissions/database-projects/alice-app",
                "{\"access_control_list\":[{\"user_name\":\"bob@example.com\",\"permission_level\":\"CAN_USE\"}]}", aliceToken);
        assertThat(grantAgain.statusCode()).isEqualTo(200);
        String fresh = bob.postgres().generateDatabaseCredential(new GenerateDatabaseCredentialRequest().setEndpoint(ep)).getToken();
        assertThat(t.http("DELETE", "/api/2.0/preview/scim/v2/Users/" + bobId, null).statusCode()).isEqualTo(204);
        assertThatThrownBy(() -> ProxyClients.jdbc(t, uid, "bob@example.com", fresh, "require"))
                .isInstanceOf(PSQLException.class).hasMessageContaining("no longer exists");
        assertThat(t.http("GET", "/api/2.0/preview/scim/v2/Me", null, bobToken).statusCode()).isEqualTo(401);

        // the audit log holds each of these events
        JsonNode audit = call("GET", "/api/2.0/oxbow/audit-events?page_size=1000", null, t.token());
        List<String> lines = StreamSupport.stream(audit.path("events").spliterator(), false)
                .map(e -> e.path("actor").asText() + " " + e.path("action").asText() + " " + e.path("resource").asText() + " " + e.path("outcome").asText())
                .toList();
        assertThat(lines).anyMatch(l -> l.startsWith("alice@example.com POST /api/2.0/postgres/projects projects/alice-app 200"));
        assertThat(lines).anyMatch(l -> l.startsWith("alice@example.com PATCH /api/2.0/permissions/database-projects/alice-app"));
        assertThat(lines).anyMatch(l -> l.startsWith("bob@example.com LOGIN " + ep + " accepted"));
        assertThat(lines).anyMatch(l -> l.startsWith("bob@example.com LOGIN_REFUSED " + ep + " refused"));
        assertThat(lines).anyMatch(l -> l.startsWith("bob@example.com DELETE /api/2.0/postgres/projects/alice-app") && l.endsWith("404"));
        assertThat(t.http("GET", "/api/2.0/oxbow/audit-events", null, aliceToken).statusCode()).isEqualTo(403);
        assertThat(call("GET", "/api/2.0/oxbow/audit-events?resource=projects/alice-app", null, aliceToken).path("events").size()).isPositive();
    }
}
