package dev.oxbow.api;

import dev.oxbow.controlplane.resource.ApiException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.function.Consumer;

import static dev.oxbow.api.Bodies.json;
import static dev.oxbow.api.Bodies.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Fields the Databricks API defines but Oxbow does not act on are refused by name, never accepted and dropped:
 * a caller asking for a read-only credential or a branch from a snapshot must not get a full credential or a branch
 * of production's head. Zero values, which Go's SDK always sends, are unset and pass.
 */
class KnownFieldsTest {
    private static void refused(Runnable call, String field) {
        ApiException e = catchThrowableOfType(ApiException.class, call::run);
        assertThat(e).as("refused " + field).isNotNull();
        assertThat(e.errorCode()).isEqualTo("INVALID_PARAMETER_VALUE");
        assertThat(e.getMessage()).contains("Field " + field + " is not supported");
    }

    @Test
    void credentialClaimsAndGroupAreReadNotIgnored() {
        var request = SpecReader.credentialRequest(json("""
                {"endpoint":"projects/p/branches/b/endpoints/e",
                 "claims":[{"permission_set":"READ_ONLY","resources":[{"table_name":"t"},{"table_name":"s.u"}]}],"group_name":"g"}"""));
        assertThat(request.scope().readOnlyTables()).containsExactly("t", "s.u");
        assertThat(request.scope().groupRole()).isEqualTo("g");
        // the Java SDK's own request for a read-only, table-scoped token
        assertThat(SpecReader.credentialRequest(request("generate-credential")).scope().readOnly()).isTrue();
        assertThat(catchThrowableOfType(ApiException.class, () -> SpecReader.credentialRequest(json(
                "{\"endpoint\":\"e\",\"claims\":[{\"permission_set\":\"READ_WRITE\",\"resources\":[{\"table_name\":\"t\"}]}]}"))))
                .hasMessageContaining("READ_ONLY");
        assertThat(catchThrowableOfType(ApiException.class, () -> SpecReader.credentialRequest(json(
                "{\"endpoint\":\"e\",\"claims\":[{\"permission_set\":\"READ_ONLY\",\"resources\":[]}]}"))))
                .hasMessageContaining("claims.resources");
    }

    @Test
    void branchFromASnapshotIsReadNotDropped() {
        assertThat(SpecReader.sourceSnapshot(json("{\"spec\":{\"source_snapshot\":\"projects/p/snapshots/s\",\"no_expiry\":true}}")))
                .isEqualTo("projects/p/snapshots/s");
        assertThat(SpecReader.sourceSnapshot(json("{\"spec\":{\"source_snapshot\":\"\",\"no_expiry\":true}}"))).isNull();
    }

    @Test
    void initialDatabaseAndRoleSpecsAreReadAndComputeProvisionerRefused() {
        var initial = SpecReader.projectInitial(json("{\"spec\":{},\"initial_database_spec\":{\"postgres_database\":\"app\",\"role\":\"app_owner\"},"
                + "\"initial_role_spec\":{\"postgres_role\":\"app_owner\",\"attributes\":{\"createdb\":true}}}"));
        assertThat(initial.database().postgresDatabase()).isEqualTo("app");
        assertThat(initial.database().role()).isEqualTo("app_owner");
        assertThat(initial.role().postgresRole()).isEqualTo("app_owner");
        assertThat(initial.role().createdb()).isTrue();
        assertThat(SpecReader.projectInitial(json("{\"initial_role_spec\":{},\"initial_database_spec\":null}")).role()).isNull();
        refused(() -> SpecReader.project(json("{\"spec\":{\"compute_provisioner\":\"X\"}}")), "spec.compute_provisioner");
    }

    @ParameterizedTest
    @ValueSource(strings = {"accelerated_sync\":true", "existing_pipeline_id\":\"p1\"", "new_pipeline_spec\":{\"storage_catalog\":\"c\"}"})
    void syncedTablePipelineFieldsAreListedAsUnsupported(String field) {
        String name = field.substring(0, field.indexOf('"'));
        var spec = SpecReader.syncedTable(json("{\"spec\":{\"source_table_full_name\":\"lake.s.t\",\"" + field + "}}"));
        assertThat(spec.unsupported()).containsExactly("spec." + name);
    }

    @Test
    void fieldsTheApiDoesNotDefineAreTolerated() {
        // newer SDKs send fields this Oxbow has never heard of
        assertThatCode(() -> SpecReader.database(json("{\"spec\":{\"postgres_database\":\"d\",\"role\":\"r\",\"some_future_field\":1}}")))
                .doesNotThrowAnyException();
    }

    @Test
    void zeroValuesAndEchoedOutputFieldsPass() {
        Consumer<Runnable> passes = call -> assertThatCode(call::run).doesNotThrowAnyException();
        passes.accept(() -> SpecReader.branch(json("{\"name\":\"projects/p/branches/b\",\"uid\":\"br-x\",\"status\":{\"default\":true},"
                + "\"spec\":{\"source_snapshot\":\"\",\"no_expiry\":true}}")));
        passes.accept(() -> SpecReader.credentialRequest(json("{\"endpoint\":\"e\",\"claims\":[],\"group_name\":\"\"}")));
        passes.accept(() -> SpecReader.endpoint(request("go-create-endpoint-zero-values")));
        passes.accept(() -> SpecReader.project(request("create-project-with-initial-specs")));
        passes.accept(() -> SpecReader.projectInitial(request("create-project-with-initial-specs")));
    }
}
