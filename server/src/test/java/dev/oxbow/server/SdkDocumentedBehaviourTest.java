package dev.oxbow.server;

import com.databricks.sdk.WorkspaceClient;
import com.databricks.sdk.service.postgres.CreateProjectRequest;
import com.databricks.sdk.service.postgres.DeleteProjectRequest;
import com.databricks.sdk.service.postgres.Project;
import com.databricks.sdk.service.postgres.ProjectSpec;
import com.databricks.sdk.service.postgres.UpdateProjectRequest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.FieldMask;
import com.google.protobuf.util.Timestamps;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the SDK docs promise and Oxbow did differently (issue 19): the official Java SDK where it has the call, raw HTTP in
 * the Python SDK's wire shape where only Python does.
 */
@ExtendWith(SharedServer.class)
class SdkDocumentedBehaviourTest {
    static TestServer t;
    static WorkspaceClient w;
    static final ObjectMapper json = new ObjectMapper();
    static final String P = "projects/sdk-docs";
    static final String API = "/api/2.0/postgres/";

    @BeforeAll
    static void start(TestServer shared) throws Exception {
        t = shared;
        w = t.sdk();
        w.postgres().createProject(new CreateProjectRequest().setProjectId("sdk-docs").setProject(new Project())).waitForCompletion();
    }

    @AfterAll
    static void cleanup() throws Exception {
        for (String p : new String[]{P, "projects/sdk-docs-init", "projects/sdk-docs-gone"}) {
            t.http("DELETE", API + p + "?purge=true", null);
        }
    }

    static JsonNode body(HttpResponse<String> r) throws Exception {
        return json.readTree(r.body());
    }

    static JsonNode done(HttpResponse<String> started) throws Exception {
        assertThat(started.statusCode()).as(started.body()).isEqualTo(200);
        JsonNode op = t.awaitOperation(body(started).path("name").asText(), Duration.ofSeconds(90));
        assertThat(op.has("error")).as(op.toString()).isFalse();
        return op.path("response");
    }

    @Test
    void updateMaskWildcardOnAProjectChangesWhatTheBodySets() throws Exception {
        Project updated = w.postgres().updateProject(new UpdateProjectRequest().setName(P)
                .setProject(new Project().setSpec(new ProjectSpec().setDisplayName("Docs renamed")))
                .setUpdateMask(FieldMask.newBuilder().addPaths("*").build())).waitForCompletion();
        assertThat(updated.getStatus().getDisplayName()).isEqualTo("Docs renamed");
        assertThat(updated.getStatus().getHistoryRetentionDuration().getSeconds()).isEqualTo(604800);
    }

    @Test
    void projectStatusReportsLastActivityAndStorage() throws Exception {
        var status = w.postgres().getProject(P).getStatus();
        assertThat(status.getSyntheticStorageSizeBytes()).isPositive();
        // production's compute runs (it never suspends by default): it is active now
        Instant last = Instant.ofEpochMilli(Timestamps.toMillis(status.getComputeLastActiveTime()));
        assertThat(last).isAfter(Instant.now().minus(Duration.ofMinutes(5)));
    }

    @Test
    void deleteBranchWithAllowMissingSucceeds() throws Exception {
        HttpResponse<String> missing = t.http("DELETE", API + P + "/branches/never-was", null);
        assertThat(missing.statusCode()).isEqualTo(404);
        JsonNode response = done(t.http("DELETE", API + P + "/branches/never-was?allow_missing=true", null));
        assertThat(response.path("@type").asText()).endsWith("google.protobuf.Empty");
    }

    @Test
    void softDeletedProjectsAndBranchesAreReadableByName() throws Exception {
        done(t.http("POST", API + "projects?project_id=sdk-docs-gone", "{}"));
        done(t.http("POST", API + "projects/sdk-docs-gone/branches?branch_id=dev", "{\"spec\":{\"no_expiry\":true}}"));
        done(t.http("DELETE", API + "projects/sdk-docs-gone/branches/dev", null));
        JsonNode branch = body(t.http("GET", API + "projects/sdk-docs-gone/branches/dev", null));
        assertThat(branch.path("status").path("current_state").asText()).isEqualTo("DELETED");
        assertThat(branch.path("status").has("purge_time")).isTrue();
        w.postgres().deleteProject(new DeleteProjectRequest().setName("projects/sdk-docs-gone")).waitForCompletion();
        Project gone = w.postgres().getProject("projects/sdk-docs-gone");
        assertThat(gone.getDeleteTime()).isNotNull();
        assertThat(gone.getPurgeTime()).isNotNull();
    }

    @Test
    void initialRoleAndDatabaseSpecsAreMadeInPostgres() throws Exception {
        JsonNode project = done(t.http("POST", API + "projects?project_id=sdk-docs-init",
                "{\"spec\":{},\"initial_role_spec\":{\"postgres_role\":\"app_owner\",\"attributes\":{\"createdb\":true}},"
                        + "\"initial_database_spec\":{\"postgres_database\":\"app\",\"role\":\"app_owner\"}}"));
        assertThat(project.path("name").asText()).isEqualTo("projects/sdk-docs-init");
        String ep = "projects/sdk-docs-init/branches/production/endpoints/primary";
        assertThat(Sql.column(t, ep, "postgres", "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'app'"))
                .containsExactly("app_owner");
        assertThat(Sql.column(t, ep, "postgres", "SELECT rolcreatedb::text FROM pg_roles WHERE rolname = 'app_owner'")).containsExactly("true");
        JsonNode roles = body(t.http("GET", API + "projects/sdk-docs-init/branches/production/roles", null));
        assertThat(roles.path("roles").findValuesAsText("postgres_role")).contains("app_owner");
    }
}
