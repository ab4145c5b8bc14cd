package dev.oxbow.server;

import org.junit.jupiter.api.extension.ExtendWith;

import com.databricks.sdk.WorkspaceClient;
import com.databricks.sdk.core.DatabricksException;
import com.databricks.sdk.core.error.platform.InvalidParameterValue;
import com.databricks.sdk.service.postgres.*;
import com.google.protobuf.FieldMask;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Oxbow supervises its postgres children and keeps endpoints consistent when a change is refused. */
@ExtendWith(SharedServer.class)
class ComputeSupervisionTest {
    static TestServer t;
    static WorkspaceClient w;
    static final String EP = "projects/supervise/branches/production/endpoints/primary";

    @BeforeAll
    static void start(TestServer shared) throws Exception {
        t = shared;
        w = t.sdk();
        w.postgres().createProject(new CreateProjectRequest().setProjectId("supervise").setProject(new Project())).waitForCompletion();
    }

    @AfterAll
    static void cleanup() throws Exception {
        w.postgres().deleteProject(new DeleteProjectRequest().setName("projects/supervise").setPurge(true)).waitForCompletion();
    }

    @Test
    void crashedPostgresIsRestartedAtOnce() throws Exception {
        var cp = t.server().controlPlane();
        var endpoint = cp.store().endpoints().get(EP).orElseThrow();
        long pid = cp.computes().runtime().find(endpoint.uid()).orElseThrow().pid();
        new ProcessBuilder("kill", "-9", Long.toString(pid)).start().waitFor();
        ReaperTest.awaitTrue(() -> cp.computes().runtime().find(endpoint.uid()).map(r -> r.pid() != pid).orElse(false));
        ReaperTest.awaitTrue(() -> {
            try {
                return Sql.column(t, EP, "postgres", "SELECT 1").equals(java.util.List.of("1"));
            } catch (Exception notYet) {
                return false;
            }
        });
        assertThat(w.postgres().getEndpoint(EP).getStatus().getCurrentState()).isEqualTo(EndpointStatusState.ACTIVE);
    }

    @Test
    void settingsOxbowOwnsAreRefusedAndBadValuesRolledBack() throws Exception {
        assertThatThrownBy(() -> w.postgres().updateEndpoint(new UpdateEndpointRequest().setName(EP)
                .setEndpoint(new Endpoint().setSpec(new EndpointSpec().setEndpointType(EndpointType.ENDPOINT_TYPE_READ_WRITE)
                        .setSettings(new EndpointSettings().setPgSettings(Map.of("port", "6543")))))
                .setUpdateMask(FieldMask.newBuilder().addPaths("spec.settings").build())))
                .isInstanceOf(InvalidParameterValue.class).hasMessageContaining("'port'");

        Endpoint tuned = w.postgres().updateEndpoint(new UpdateEndpointRequest().setName(EP)
                .setEndpoint(new Endpoint().setSpec(new EndpointSpec().setEndpointType(EndpointType.ENDPOINT_TYPE_READ_WRITE)
                        .setSettings(new EndpointSettings().setPgSettings(Map.of("work_mem", "8MB")))))
                .setUpdateMask(FieldMask.newBuilder().addPaths("spec.settings").build())).waitForCompletion();
        assertThat(tuned.getStatus().getSettings().getPgSettings()).containsEntry("work_mem", "8MB");
        assertThat(Sql.column(t, EP, "postgres", "SHOW work_mem")).containsExactly("8MB");

        assertThatThrownBy(() -> w.postgres().updateEndpoint(new UpdateEndpointRequest().setName(EP)
                .setEndpoint(new Endpoint().setSpec(new EndpointSpec().setEndpointType(EndpointType.ENDPOINT_TYPE_READ_WRITE)
                        .setSettings(new EndpointSettings().setPgSettings(Map.of("TimeZone", "Mars/Olympus_Mons")))))
                .setUpdateMask(FieldMask.newBuilder().addPaths("spec.settings").build())).waitForCompletion())
                .isInstanceOf(DatabricksException.class).hasMessageContaining("INVALID_PARAMETER_VALUE").hasMessageContaining("Mars/Olympus_Mons");
        Endpoint after = w.postgres().getEndpoint(EP);
        assertThat(after.getStatus().getSettings().getPgSettings()).containsEntry("work_mem", "8MB");
        assertThat(after.getStatus().getCurrentState()).isEqualTo(EndpointStatusState.ACTIVE);
        assertThat(Sql.column(t, EP, "postgres", "SHOW work_mem")).containsExactly("8MB");
    }

}
