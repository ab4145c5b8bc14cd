package dev.oxbow.controlplane.catalog;

import dev.oxbow.controlplane.operation.OperationExecutor;
import dev.oxbow.controlplane.operation.OperationHandler;
import dev.oxbow.controlplane.operation.OperationResult;
import dev.oxbow.controlplane.resource.Cascade;
import dev.oxbow.controlplane.resource.Resources;
import dev.oxbow.controlplane.sql.DatabaseService;
import dev.oxbow.controlplane.testing.Fixture;
import dev.oxbow.metadata.Branch;
import dev.oxbow.metadata.Database;
import dev.oxbow.metadata.Operation;
import dev.oxbow.metadata.OperationKind;
import dev.oxbow.metadata.PostgresCatalog;
import dev.oxbow.metadata.Project;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static dev.oxbow.controlplane.testing.ApiErrors.invalid;
import static dev.oxbow.controlplane.testing.ApiErrors.refused;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Catalogs against a real metadata store: what a create accepts, refuses (changing nothing) and stores, the
 * database it queues first when asked to, and the operations' work. Database SQL is recorded, not run.
 */
class CatalogServiceTest {
    @TempDir Path dir;
    Fixture f;
    OperationExecutor executor;
    CatalogService catalogs;
    final List<OperationKind> ran = new CopyOnWriteArrayList<>();
    Project project;
    volatile boolean failDatabase;
    Branch branch;

    @BeforeEach
    void setUp() {
        f = new Fixture(dir);
        Map<OperationKind, OperationHandler> handlers = new HashMap<>(new CatalogOperations(f.store).handlers());
        handlers.put(OperationKind.CREATE_DATABASE, new OperationHandler() {
            @Override
            public OperationResult run(Operation op, dev.oxbow.controlplane.operation.OperationContext ctx) {
                ran.add(op.kind());
                if (failDatabase) {
                    throw new IllegalStateException("CREATE DATABASE failed");
                }
                return OperationResult.empty();
            }

            @Override
            public void compensate(Operation op) {
                f.store.databases().delete(op.resourceName()); // as the real handler rolls back its reservation
            }
        });
        Map<OperationKind, OperationHandler> recorded = new HashMap<>();
        handlers.forEach((kind, h) -> recorded.put(kind, new OperationHandler() {
            @Override
            public OperationResult run(Operation op, dev.oxbow.controlplane.operation.OperationContext ctx) throws Exception {
                if (kind != OperationKind.CREATE_DATABASE) {
                    ran.add(kind);
                }
                return h.run(op, ctx);
            }

            @Override
            public void compensate(Operation op) throws Exception {
                h.compensate(op);
            }
        }));
        executor = new OperationExecutor(f.store, recorded, f.clock, f.metrics);
        Resources resources = new Resources(f.store);
        DatabaseService databases = new DatabaseService(f.store, executor, resources, f.limits, f.clock);
        catalogs = new CatalogService(f.store, executor, resources, databases, Set.of("lake"), f.clock);
        project = f.project("shop");
        branch = f.rootBranch(project, "production");
        f.store.roles().insert(new dev.oxbow.metadata.Role("shop", "production", "owner", f.clock.instant(), f.clock.instant(), Fixture.OWNER,
                "USER", "LAKEBASE_OAUTH_V1", List.of(), false, true, true, null));
        f.store.databases().insert(new Database("shop", "production", "orders", f.clock.instant(), f.clock.instant(), "orders", "owner"));
    }

    @AfterEach
    void tearDown() {
        executor.close();
        f.close();
    }

    private Operation done(Operation op) throws Exception {
        for (int i = 0; i < 500; i++) {
            Operation now = f.store.operations().get(op.name()).orElseThrow();
            if (now.done()) {
                return now;
            }
            TimeUnit.MILLISECONDS.sleep(10);
        }
        throw new AssertionError("operation did not finish: " + op.name());
    }

    @Test
    void createsACatalogForAnExistingDatabase() throws Exception {
        Operation op = done(catalogs.create("shop_pg", new CatalogSpec(branch.name(), "orders", null)));
        assertThat(op.errorCode()).isNull();
        assertThat(ran).containsExactly(OperationKind.CREATE_CATALOG);
        PostgresCatalog c = catalogs.get("catalogs/shop_pg");
        assertThat(c.branchName()).isEqualTo("projects/shop/branches/production");
        assertThat(c.postgresDatabase()).isEqualTo("orders");
        assertThat(c.createDatabaseIfMissing()).isFalse();
        assertThat(catalogs.find("shop_pg")).contains(c);
        assertThat(catalogs.find("other")).isEmpty();
    }

    @Test
    void createDatabaseIfMissingQueuesTheDatabaseBeforeTheCatalog() throws Exception {
        Operation op = done(catalogs.create("analytics", new CatalogSpec(branch.name(), "analytics", true)));
        assertThat(op.errorCode()).isNull();
        assertThat(ran).containsExactly(OperationKind.CREATE_DATABASE, OperationKind.CREATE_CATALOG);
        assertThat(f.store.databases().list(branch.name())).extracting(Database::postgresDatabase).contains("analytics");
        assertThat(catalogs.get("catalogs/analytics").createDatabaseIfMissing()).isTrue();
    }

    @Test
    void aFailedDatabaseCreationFailsTheCatalogAndRemovesIt() throws Exception {
        failDatabase = true;
        Operation op = done(catalogs.create("analytics", new CatalogSpec(branch.name(), "analytics", true)));
        assertThat(ran).containsExactly(OperationKind.CREATE_DATABASE, OperationKind.CREATE_CATALOG);
        assertThat(op.errorCode()).isEqualTo("NOT_FOUND");
        assertThat(op.errorMessage()).contains("analytics", "could not be created");
        assertThat(f.store.catalogs().all()).isEmpty();
    }

    @Test
    void badInputIsRefusedAndChangesNothing() {
        CatalogSpec good = new CatalogSpec(branch.name(), "orders", false);
        invalid(() -> catalogs.create(null, good), "catalog_id");
        invalid(() -> catalogs.create("", good), "catalog_id");
        invalid(() -> catalogs.create("bad-name", good), "catalog_id", "bad-name");
        invalid(() -> catalogs.create("a".repeat(256), good), "catalog_id");
        invalid(() -> catalogs.create("x", null), "spec");
        invalid(() -> catalogs.create("x", new CatalogSpec(null, "orders", false)), "spec.branch");
        invalid(() -> catalogs.create("x", new CatalogSpec("production", "orders", false)), "spec.branch", "projects/");
        invalid(() -> catalogs.create("x", new CatalogSpec(branch.name(), null, false)), "spec.postgres_database");
        refused(() -> catalogs.create("x", new CatalogSpec("projects/shop/branches/nope", "orders", false)), 404, "NOT_FOUND", "nope");
        refused(() -> catalogs.create("x", new CatalogSpec(branch.name(), "missing", false)), 404, "NOT_FOUND",
                "missing", "create_database_if_missing");
        refused(() -> catalogs.create("lake", good), 409, "ALREADY_EXISTS", "catalogs/lake");
        assertThat(f.store.catalogs().all()).isEmpty();
        assertThat(ran).isEmpty();
        assertThat(f.store.databases().list(branch.name())).hasSize(1);
    }

    @Test
    void aSecondCatalogOfTheSameIdIsRefused() throws Exception {
        done(catalogs.create("shop_pg", new CatalogSpec(branch.name(), "orders", false)));
        refused(() -> catalogs.create("shop_pg", new CatalogSpec(branch.name(), "orders", false)), 409, "ALREADY_EXISTS", "catalogs/shop_pg");
    }

    @Test
    void deleteRemovesTheCatalogButNotTheDatabase() throws Exception {
        done(catalogs.create("shop_pg", new CatalogSpec(branch.name(), "orders", false)));
        Operation op = done(catalogs.delete("catalogs/shop_pg"));
        assertThat(op.errorCode()).isNull();
        refused(() -> catalogs.get("catalogs/shop_pg"), 404, "NOT_FOUND", "catalogs/shop_pg");
        refused(() -> catalogs.delete("catalogs/shop_pg"), 404, "NOT_FOUND", "catalogs/shop_pg");
        assertThat(f.store.databases().list(branch.name())).hasSize(1);
    }

    @Test
    void deletingTheBranchTakesItsCatalogs() throws Exception {
        done(catalogs.create("shop_pg", new CatalogSpec(branch.name(), "orders", false)));
        Cascade.deleteBranch(f.store, branch.name());
        assertThat(f.store.catalogs().all()).isEmpty();
    }
}
