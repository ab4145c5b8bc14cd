package dev.oxbow.server;

import org.junit.jupiter.api.extension.ExtendWith;

import com.databricks.sdk.WorkspaceClient;
import com.databricks.sdk.core.error.platform.AlreadyExists;
import com.databricks.sdk.core.error.platform.BadRequest;
import com.databricks.sdk.core.error.platform.InvalidParameterValue;
import com.databricks.sdk.core.error.platform.NotFound;
import com.databricks.sdk.service.postgres.*;
import com.google.protobuf.FieldMask;
import com.google.protobuf.util.Durations;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.stream.StreamSupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Drives projects through the official Databricks Java SDK against a real server and real computes. */
@ExtendWith(SharedServer.class)
class SdkProjectApiTest {
    static TestServer t;
    static WorkspaceClient w;

    @BeforeAll
    static void start(TestServer shared) throws Exception {
        t = shared;
        w = t.sdk();
    }

    @Test
    void projectLifecycleWithRealCompute() throws Exception {
        Project created = w.postgres().createProject(new CreateProjectRequest().setProjectId("sdk-life")
                .setProject(new Project().setSpec(new ProjectSpec().setDisplayName("Life").setPgVersion(16L)
                        .setDefaultEndpointSettings(new ProjectDefaultEndpointSettings().setAutoscalingLimitMinCu(0.5).setAutoscalingLimitMaxCu(2.0)
                                .setSuspendTimeoutDuration(Durations.fromSeconds(600))))))
                .waitForCompletion();
        assertThat(created.getName()).isEqualTo("projects/sdk-life");
        assertThat(created.getStatus().getDisplayName()).isEqualTo("Life");
        assertThat(created.getStatus().getPgVersion()).isEqualTo(16L);
        assertThat(created.getStatus().getOwner()).isEqualTo("admin@oxbow.local");
        assertThat(Durations.toSeconds(created.getStatus().getHistoryRetentionDuration())).isEqualTo(604800);
        assertThat(created.getStatus().getDefaultBranch()).isEqualTo("projects/sdk-life/branches/production");

        Branch production = w.postgres().getBranch("projects/sdk-life/branches/production");
        assertThat(production.getStatus().getCurrentState()).isEqualTo(BranchStatusState.READY);
        assertThat(production.getStatus().getDefault()).isTrue();
        assertThat(production.getStatus().getLogicalSizeBytes()).isPositive();

        Endpoint primary = w.postgres().getEndpoint("projects/sdk-life/branches/production/endpoints/primary");
        assertThat(primary.getStatus().getCurrentState()).isEqualTo(EndpointStatusState.ACTIVE);
        assertThat(primary.getStatus().getEndpointType()).isEqualTo(EndpointType.ENDPOINT_TYPE_READ_WRITE);
        assertThat(primary.getStatus().getHosts().getHost()).isEqualTo(primary.getUid() + ".oxbow.localhost");
        assertThat(primary.getUid()).startsWith("ep-");

        // the compute is a real PostgreSQL 16 with the default database and the creator's role
        assertThat(Sql.column(t, primary.getName(), "databricks_postgres", "SHOW server_version").get(0)).startsWith("16.");
        assertThat(Sql.column(t, primary.getName(), "postgres",
                "SELECT rolname FROM pg_roles WHERE rolname IN ('databricks_superuser', 'admin@oxbow.local') ORDER BY 1"))
                .containsExactly("admin@oxbow.local", "databricks_superuser");
        assertThat(Sql.column(t, primary.getName(), "postgres",
                "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'databricks_postgres'")).containsExactly("admin@oxbow.local");
        assertThat(Sql.column(t, primary.getName(), "postgres", "SHOW listen_addresses")).containsExactly("");

        Project updated = w.postgres().updateProject(new UpdateProjectRequest().setName("projects/sdk-life")
                        .setProject(new Project().setSpec(new ProjectSpec().setDisplayName("Renamed")))
                        .setUpdateMask(FieldMask.newBuilder().addPaths("spec.display_name").build()))
                .waitForCompletion();
        assertThat(updated.getStatus().getDisplayName()).isEqualTo("Renamed");
        assertThat(w.postgres().getProject("projects/sdk-life").getStatus().getDisplayName()).isEqualTo("Renamed");

        List<String> names = StreamSupport.stream(w.postgres().listProjects(new ListProjectsRequest().setPageSize(1L)).spliterator(), false)
                .map(Project::getName).toList();
        assertThat(names).contains("projects/sdk-life");

        w.postgres().deleteProject(new DeleteProjectRequest().setName("projects/sdk-life").setPurge(true)).waitForCompletion();
        assertThatThrownBy(() -> w.postgres().getProject("projects/sdk-life")).isInstanceOf(NotFound.class);
        assertThat(t.server().controlPlane().store().endpoints().listUnder("projects/sdk-life/")).isEmpty();
    }

    @Test
    void refusesBadProjectsWithTheSdksExceptions() throws Exception {
        assertThatThrownBy(() -> w.postgres().createProject(new CreateProjectRequest().setProjectId("Bad_Id").setProject(new Project())))
                .isInstanceOf(InvalidParameterValue.class).hasMessageContaining("must match pattern");
        assertThatThrownBy(() -> w.postgres().createProject(new CreateProjectRequest().setProjectId("bad-version")
                .setProject(new Project().setSpec(new ProjectSpec().setPgVersion(15L)))))
                .isInstanceOf(InvalidParameterValue.class).hasMessageContaining("16 or 17");
        assertThatThrownBy(() -> w.postgres().createProject(new CreateProjectRequest().setProjectId("bad-cu")
                .setProject(new Project().setSpec(new ProjectSpec().setDefaultEndpointSettings(
                        new ProjectDefaultEndpointSettings().setAutoscalingLimitMinCu(1.0).setAutoscalingLimitMaxCu(16.0))))))
                .isInstanceOf(InvalidParameterValue.class).hasMessageContaining("at most 8");
        assertThatThrownBy(() -> w.postgres().createProject(new CreateProjectRequest().setProjectId("bad-retention")
                .setProject(new Project().setSpec(new ProjectSpec().setHistoryRetentionDuration(Durations.fromSeconds(3600))))))
                .isInstanceOf(InvalidParameterValue.class);
        assertThatThrownBy(() -> w.postgres().getProject("projects/does-not-exist")).isInstanceOf(NotFound.class);
        assertThat(StreamSupport.stream(w.postgres().listProjects(new ListProjectsRequest()).spliterator(), false)
                .map(Project::getName)).doesNotContain("projects/bad-version", "projects/bad-cu", "projects/bad-retention");

        w.postgres().createProject(new CreateProjectRequest().setProjectId("sdk-dup").setProject(new Project())).waitForCompletion();
        assertThatThrownBy(() -> w.postgres().createProject(new CreateProjectRequest().setProjectId("sdk-dup").setProject(new Project())))
                .isInstanceOf(AlreadyExists.class);
        assertThatThrownBy(() -> w.postgres().updateProject(new UpdateProjectRequest().setName("projects/sdk-dup")
                .setProject(new Project().setSpec(new ProjectSpec().setDisplayName("x")))
                .setUpdateMask(FieldMask.newBuilder().build())))
                .isInstanceOf(BadRequest.class).hasMessageContaining("update_mask");
        assertThatThrownBy(() -> w.postgres().deleteBranch("projects/sdk-dup/branches/production"))
                .isInstanceOf(BadRequest.class).hasMessageContaining("root branch");
        assertThatThrownBy(() -> w.postgres().deleteEndpoint("projects/sdk-dup/branches/production/endpoints/primary"))
                .isInstanceOf(BadRequest.class).hasMessageContaining("Read-write endpoints cannot be deleted");
        w.postgres().deleteProject(new DeleteProjectRequest().setName("projects/sdk-dup").setPurge(true)).waitForCompletion();
    }
}
