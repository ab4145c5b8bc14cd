package dev.oxbow.server;

import org.junit.jupiter.api.extension.RegisterExtension;

import com.databricks.sdk.WorkspaceClient;
import com.databricks.sdk.service.postgres.*;
import com.google.protobuf.FieldMask;
import com.google.protobuf.util.Durations;
import dev.oxbow.controlplane.resource.Limits;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** /metrics in Prometheus format (with the admin token: per-endpoint figures), scraped while computes start, serve, suspend and wake. */
class MetricsTest {
    @RegisterExtension
    static final TestHomes homes = new TestHomes();
    static double value(String scrape, String metric, String labelFragment) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(metric) + "\\{([^}]*)\\} ([0-9.eE+-]+)$").matcher(scrape);
        double sum = 0;
        boolean found = false;
        while (m.find()) {
            if (m.group(1).contains(labelFragment)) {
                sum += Double.parseDouble(m.group(2));
                found = true;
            }
        }
        return found ? sum : -1;
    }

    /** A metric without labels. */
    static double plain(String scrape, String metric) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(metric) + " ([0-9.eE+-]+)$").matcher(scrape);
        return m.find() ? Double.parseDouble(m.group(1)) : -1;
    }

    @Test
    void figuresMoveAsComputesStartServeSuspendAndWake() throws Exception {
        Limits d = Limits.defaults();
        Limits fast = new Limits(d.maxAutoscaleCu(), d.maxSpreadCu(), d.branchesPerProject(), d.protectedBranchesPerProject(),
                d.activeComputesPerProject(), d.rolesPerBranch(), d.databasesPerBranch(), d.maxBranchTtlSeconds(), 1,
                d.maxSuspendSeconds(), d.minRetentionSeconds(), d.maxRetentionSeconds(), d.projects());
        try (TestServer t = TestServer.start(TestServer.config(homes.newHome("metrics")).withLimits(fast)
                .withTimers(Duration.ofMillis(200), Duration.ofHours(24), Duration.ofDays(3)))) {
            WorkspaceClient w = t.sdk();
            assertThat(t.http("GET", "/metrics", null, t.token()).statusCode()).isEqualTo(200);
            var created = w.postgres().createProject(new CreateProjectRequest().setProjectId("metered").setProject(new Project()));
            SdkOperations.await(t, created.getName(), created::waitForCompletion);
            String ep = "projects/metered/branches/production/endpoints/primary";
            String scrape = t.http("GET", "/metrics", null, t.token()).body();
            assertThat(value(scrape, "oxbow_endpoint_state", "state=\"ACTIVE\"")).isEqualTo(1);
            assertThat(value(scrape, "oxbow_endpoint_cu", "endpoint=\"" + ep + "\"")).isEqualTo(0.5);
            assertThat(value(scrape, "oxbow_operation_duration_seconds_count", "kind=\"CREATE_PROJECT\"")).isEqualTo(1);

            // a client connection shows up, and suspending then waking counts
            w.postgres().updateEndpoint(new UpdateEndpointRequest().setName(ep)
                    .setEndpoint(new Endpoint().setSpec(new EndpointSpec().setEndpointType(EndpointType.ENDPOINT_TYPE_READ_WRITE)
                            .setSuspendTimeoutDuration(Durations.fromSeconds(1))))
                    .setUpdateMask(FieldMask.newBuilder().addPaths("spec.suspension").build())).waitForCompletion();
            String uid = w.postgres().getEndpoint(ep).getUid();
            String token = w.postgres().generateDatabaseCredential(new GenerateDatabaseCredentialRequest().setEndpoint(ep)).getToken();
            try (var c = ProxyClients.jdbc(t, uid, "admin@oxbow.local", token, "require")) {
                assertThat(value(t.http("GET", "/metrics", null, t.token()).body(), "oxbow_endpoint_connections", "endpoint=\"" + ep + "\"")).isEqualTo(1);
            }
            ReaperTest.awaitTrue(() -> value(t.http("GET", "/metrics", null, t.token()).body(), "oxbow_endpoint_state", "state=\"IDLE\"") == 1);
            String idle = t.http("GET", "/metrics", null, t.token()).body();
            double suspended = plain(idle, "oxbow_compute_suspends_total");
            double resumed = plain(idle, "oxbow_compute_resumes_total");
            assertThat(suspended).isGreaterThanOrEqualTo(1);
            assertThat(value(idle, "oxbow_endpoint_cu", "endpoint=\"" + ep + "\"")).isEqualTo(0);
            try (var c = ProxyClients.jdbc(t, uid, "admin@oxbow.local", token, "require")) {
                String woken = t.http("GET", "/metrics", null, t.token()).body();
                assertThat(plain(woken, "oxbow_compute_resumes_total")).isEqualTo(resumed + 1);
                assertThat(plain(woken, "oxbow_compute_cold_start_seconds_count")).isEqualTo(resumed + 1);
                assertThat(value(woken, "oxbow_project_cu_hours_total", "project=\"metered\"")).isPositive();
            }
        }
    }
}
