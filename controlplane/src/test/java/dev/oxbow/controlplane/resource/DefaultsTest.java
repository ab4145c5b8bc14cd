package dev.oxbow.controlplane.resource;

import dev.oxbow.controlplane.compute.ComputeSizing;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class DefaultsTest {
    @Test
    void connectionLimitFollowsTheMaximumSizeAndIsCapped() {
        assertThat(Defaults.maxConnections(0.5)).isEqualTo(104);
        assertThat(Defaults.maxConnections(1)).isEqualTo(209);
        assertThat(Defaults.maxConnections(4)).isEqualTo(839);
        assertThat(Defaults.maxConnections(16)).isEqualTo(3357);
        assertThat(Defaults.maxConnections(32)).isEqualTo(4000);
        assertThat(Defaults.maxConnections(112)).isEqualTo(4000);
    }

    @Test
    void sizingConvertsComputeUnits() {
        ComputeSizing s = ComputeSizing.defaults();
        assertThat(s.memoryBytes(1)).isEqualTo(2L << 30);
        assertThat(s.memoryBytes(0.5)).isEqualTo(1L << 30);
        assertThat(s.cpus(4)).isEqualTo(1.0);
    }

    @Test
    void errorFactoriesCarryTheDatabricksCodeAndStatus() {
        record Expect(ApiException e, int status, String code) {}
        for (Expect x : List.of(
                new Expect(ApiException.invalid("m"), 400, "INVALID_PARAMETER_VALUE"),
                new Expect(ApiException.badRequest("m"), 400, "BAD_REQUEST"),
                new Expect(ApiException.invalidState("m"), 400, "INVALID_STATE"),
                new Expect(ApiException.quota("m"), 400, "QUOTA_EXCEEDED"),
                new Expect(ApiException.unauthenticated("m"), 401, "UNAUTHENTICATED"),
                new Expect(ApiException.alreadyExists("m"), 409, "ALREADY_EXISTS"),
                new Expect(ApiException.internal("m"), 500, "INTERNAL_ERROR"))) {
            assertThat(x.e().httpStatus()).as(x.code()).isEqualTo(x.status());
            assertThat(x.e().errorCode()).isEqualTo(x.code());
            assertThat(x.e().details()).isEmpty();
        }
        ApiException nf = ApiException.notFound("branch", "projects/p/branches/b");
        assertThat(nf.httpStatus()).isEqualTo(404);
        assertThat(nf.errorCode()).isEqualTo("NOT_FOUND");
        assertThat(nf.getMessage()).isEqualTo("branch id not found: projects/p/branches/b");
    }

    @Test
    void managedByParentHasTheDeclarativeContextDetail() {
        ApiException e = ApiException.managedByParent("Read-write endpoints cannot be deleted.");
        assertThat(e.httpStatus()).isEqualTo(400);
        assertThat(e.errorCode()).isEqualTo("BAD_REQUEST");
        assertThat(e.details()).singleElement().satisfies(d -> {
            assertThat(d).containsEntry("@type", "type.googleapis.com/google.rpc.ErrorInfo")
                    .containsEntry("reason", "RESOURCE_CONFLICT").containsEntry("domain", "databricks.com")
                    .containsEntry("metadata", Map.of("declarative_context", "MANAGED_BY_PARENT"));
        });
    }
}
