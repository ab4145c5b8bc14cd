package dev.oxbow.server;

import org.junit.jupiter.api.extension.RegisterExtension;

import com.databricks.sdk.WorkspaceClient;
import com.databricks.sdk.service.postgres.*;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.oxbow.controlplane.compute.ComputeSizing;
import dev.oxbow.controlplane.resource.Defaults;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** A CPU-heavy load scales a compute from min to max within seconds, with cgroup limits following, and back when quiet. */
class AutoscalerTest {
    @RegisterExtension
    static final TestHomes homes = new TestHomes();
    @Test
    void loadScalesUpToMaxAndQuietScalesBackToMin() throws Exception {
        ComputeSizing sizing = new ComputeSizing(2L << 30, 0.25, Duration.ofMillis(500), 0.7, 0.25, Duration.ofMillis(1500));
        try (TestServer t = TestServer.start(TestServer.config(homes.newHome("scale")).withSizing(sizing))) {
            var cp = t.server().controlPlane();
            assumeTrue(cp.computes().runtime().resourceControl().startsWith("cgroup"), "cgroups need root (CI runs as root)");
            WorkspaceClient w = t.sdk();
            w.postgres().createProject(new CreateProjectRequest().setProjectId("scale").setProject(new Project().setSpec(new ProjectSpec()
                    .setDefaultEndpointSettings(new ProjectDefaultEndpointSettings().setAutoscalingLimitMinCu(0.5).setAutoscalingLimitMaxCu(8.0)))))
                    .waitForCompletion();
            String ep = "projects/scale/branches/production/endpoints/primary";
            var record = cp.store().endpoints().get(ep).orElseThrow();
            var runtime = cp.computes().runtime();
            // the create's own work (initdb, first snapshot) may already have scaled it up: wait for it to be quiet at min
            ReaperTest.awaitTrue(() -> cp.computes().currentCu(record) == 0.5);
            assertThat(runtime.limits(record.uid()).orElseThrow().cpus()).isEqualTo(0.125);
            assertThat(runtime.limits(record.uid()).orElseThrow().memoryBytes()).isEqualTo(1L << 30);
            assertThat(new ObjectMapper().readTree(t.http("GET", "/api/2.0/postgres/" + ep, null).body()).path("status").path("current_cu").asDouble())
                    .isEqualTo(0.5);

            var socket = cp.config().layout().socketDir(record).toString();
            run("pgbench", "-i", "-q", "-s", "1", "-h", socket, "-U", Defaults.SYSTEM_ROLE, "databricks_postgres");
            Process load = new ProcessBuilder("pgbench", "-S", "-n", "-c", "4", "-j", "2", "-T", "60", "-h", socket, "-U", Defaults.SYSTEM_ROLE,
                    "databricks_postgres").redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            try {
                // how fast is a benchmark's question (ScaleBench); here: it gets there, with limits and settings following
                ReaperTest.awaitTrue(() -> cp.computes().currentCu(record) == 8.0);
                assertThat(runtime.limits(record.uid()).orElseThrow().cpus()).isEqualTo(2.0);
                assertThat(runtime.limits(record.uid()).orElseThrow().memoryBytes()).isEqualTo(16L << 30);
                // settings follow by reload (SIGHUP), which the server applies a moment later
                ReaperTest.awaitTrue(() -> Sql.column(t, ep, "postgres", "SHOW effective_cache_size").equals(java.util.List.of("12GB")));
            } finally {
                load.destroy();
                load.waitFor(10, TimeUnit.SECONDS);
            }
            ReaperTest.awaitTrue(() -> cp.computes().currentCu(record) == 0.5);
            assertThat(runtime.limits(record.uid()).orElseThrow().cpus()).isEqualTo(0.125);
            var audit = new ObjectMapper().readTree(t.http("GET", "/api/2.0/oxbow/audit-events?resource=" + ep, null).body());
            assertThat(audit.path("events").findValuesAsText("action")).contains("SCALE");
        }
    }

    private static void run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(out).isZero();
    }
}
