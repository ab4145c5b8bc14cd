package dev.oxbow.controlplane.dataapi;

import dev.oxbow.controlplane.operation.OperationExecutor;
import dev.oxbow.controlplane.operation.OperationHandler;
import dev.oxbow.controlplane.operation.OperationResult;
import dev.oxbow.controlplane.resource.ApiException;
import dev.oxbow.controlplane.resource.Resources;
import dev.oxbow.controlplane.testing.Fixture;
import dev.oxbow.metadata.Branch;
import dev.oxbow.metadata.DataApi;
import dev.oxbow.metadata.Database;
import dev.oxbow.metadata.Project;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What a data API call accepts, refuses (naming the field) and stores; the operations' SQL is DataApiTest's. */
class DataApiServiceTest {
    @TempDir
    Path dir;
    private Fixture f;
    private OperationExecutor executor;
    private DataApiService service;
    private Database db;

    @BeforeEach
    void setUp() {
        f = new Fixture(dir);
        OperationHandler record = (op, ctx) -> OperationResult.empty();
        executor = new OperationExecutor(f.store, Map.of(DataApiService.CREATE, record, DataApiService.UPDATE, record,
                DataApiService.DELETE, (op, ctx) -> {
                    f.store.dataApis().delete(op.resourceName());
                    return OperationResult.empty();
                }), f.clock, f.metrics);
        service = new DataApiService(f.store, executor, new Resources(f.store), f.clock);
        Project p = f.project("p");
        Branch b = f.rootBranch(p, "production");
        db = new Database(p.projectId(), b.branchId(), "shop", f.clock.instant(), f.clock.instant(), "shop", "owner");
        f.store.databases().insert(db);
    }

    @AfterEach
    void tearDown() {
        executor.close();
        f.close();
    }

    private static DataApiSpec spec(List<String> schemas, Long maxRows, Boolean aggregates, String claimKey, String cacheLifetime, String openapi,
                                    List<String> origins) {
        return new DataApiSpec(schemas, null, maxRows, aggregates, claimKey, cacheLifetime, openapi, origins, null);
    }

    @Test
    void storesTheSpecOncePerDatabase() {
        service.create(db.name(), spec(List.of("api", "api"), 100L, true, null, "0s", "OPEN_API_MODE_DISABLED", List.of("https://a.example.com:8443")));
        DataApi stored = service.get(db.name() + "/data-api");
        assertThat(stored.dbAggregatesEnabled()).isTrue();
        assertThat(stored.dbSchemas()).containsExactly("api");
        assertThat(stored.dbMaxRows()).isEqualTo(100L);
        assertThat(stored.openapiMode()).isEqualTo("OPEN_API_MODE_DISABLED");
        assertThat(stored.serverCorsAllowedOrigins()).containsExactly("https://a.example.com:8443");
        assertThatThrownBy(() -> service.create(db.name(), DataApiSpec.empty()))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.errorCode()).isEqualTo("ALREADY_EXISTS"));
    }

    @Test
    void refusesWhatOxbowCannotHonourByFieldName() {
        Map<String, DataApiSpec> refused = Map.of(
                "spec.jwt_role_claim_key", spec(null, null, null, ".role", null, null, null),
                "spec.jwt_cache_max_lifetime", spec(null, null, null, null, "300s", null, null),
                "spec.openapi_mode", spec(null, null, null, null, null, "OPEN_API_MODE_SOMETIMES", null),
                "spec.db_max_rows", spec(null, -1L, null, null, null, null, null),
                "spec.db_schemas", spec(List.of("pg_catalog"), null, null, null, null, null, null),
                "spec.server_cors_allowed_origins", spec(null, null, null, null, null, null, List.of("javascript:alert(1)")));
        refused.forEach((field, s) -> assertThatThrownBy(() -> service.create(db.name(), s)).as(field)
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.errorCode()).isEqualTo("INVALID_PARAMETER_VALUE");
                    assertThat(e.getMessage()).contains(field);
                }));
        assertThat(f.store.dataApis().all()).isEmpty();
    }

    @Test
    void updateChangesOnlyTheMaskedFields() {
        service.create(db.name(), spec(List.of("api"), 100L, null, null, null, null, List.of("*")));
        service.update(db.name() + "/data-api", spec(List.of("other"), 5L, null, null, null, null, null), Set.of("spec.db_max_rows"));
        DataApi updated = service.get(db.name() + "/data-api");
        assertThat(updated.dbMaxRows()).isEqualTo(5L);
        assertThat(updated.dbSchemas()).containsExactly("api");
        assertThat(updated.serverCorsAllowedOrigins()).containsExactly("*");
        assertThatThrownBy(() -> service.update(db.name() + "/data-api", DataApiSpec.empty(), Set.of("spec.url")))
                .isInstanceOf(ApiException.class).hasMessageContaining("spec.db_max_rows");
    }

    @Test
    void aRecreatedDatabaseDoesNotInheritTheOldDataApi() {
        service.create(db.name(), DataApiSpec.empty());
        f.clock.advance(Duration.ofSeconds(1));
        f.store.databases().put(new Database(db.projectId(), db.branchId(), db.databaseId(), f.clock.instant(), f.clock.instant(), "shop", "owner"));
        assertThat(service.current(db.name())).isEmpty();
        assertThatThrownBy(() -> service.get(db.name() + "/data-api"))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.httpStatus()).isEqualTo(404));
    }
}
