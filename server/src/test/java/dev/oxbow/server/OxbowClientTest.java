package dev.oxbow.server;

import org.junit.jupiter.api.extension.ExtendWith;

import org.junit.jupiter.api.extension.RegisterExtension;

import dev.oxbow.client.Branch;
import dev.oxbow.client.Database;
import dev.oxbow.client.DatabaseCredential;
import dev.oxbow.client.Endpoint;
import dev.oxbow.client.Operation;
import dev.oxbow.client.OxbowClient;
import dev.oxbow.client.OxbowException;
import dev.oxbow.client.Postgres;
import dev.oxbow.client.Project;
import dev.oxbow.client.Role;
import dev.oxbow.client.SyncedTable;
import dev.oxbow.sync.DeltaTableWriter;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The Oxbow Java SDK against a real server: typed resources, waitFor, paging, typed exceptions from the error JSON. */
@ExtendWith(SharedServer.class)
class OxbowClientTest {
    @RegisterExtension
    static final TestHomes homes = new TestHomes();
    private static final Duration WAIT = Duration.ofMinutes(2);

    @Test
    void typedResourcesOperationsPagingAndErrors(TestServer ts) throws Exception {
        OxbowClient client = new OxbowClient(ts.baseUrl(), ts.token());
        Postgres api = client.postgres();

        Project.Spec spec = new Project.Spec("SDK", 16, null, null, null, null, null, null);
        Operation<Project> op = api.createProject("sdk-p", Project.of(spec));
        assertThat(op.name()).startsWith("projects/sdk-p/operations/");
        Project p = op.waitFor(WAIT);
        assertThat(p.name()).isEqualTo("projects/sdk-p");
        assertThat(p.status().pgVersion()).isEqualTo(16);
        assertThat(p.status().defaultBranch()).isEqualTo("projects/sdk-p/branches/production");
        assertThat(p.createTime()).isBefore(Instant.now().plusSeconds(1));
        assertThat(api.getOperation(op.name()).done()).isTrue();

        Project renamed = api.updateProject(p.name(), Project.of(Project.Spec.displayName("Renamed")), "spec.display_name").waitFor(WAIT);
        assertThat(renamed.status().displayName()).isEqualTo("Renamed");

        Branch dev = api.createBranch(p.name(), "dev", Branch.of(new Branch.Spec(null, null, null, null, "3600s", null, null)), false).waitFor(WAIT);
        assertThat(dev.status().isDefault()).isFalse();
        assertThat(dev.status().expireTime()).isAfter(Instant.now());
        Branch production = api.getBranch("projects/sdk-p/branches/production");
        assertThat(production.status().isDefault()).isTrue();

        Endpoint primary = api.getEndpoint(dev.name() + "/endpoints/primary");
        assertThat(primary.status().endpointType()).isEqualTo(Endpoint.READ_WRITE);
        assertThat(primary.status().hosts().host()).isNotBlank();
        Endpoint resized = api.updateEndpoint(primary.name(), Endpoint.of(new Endpoint.Spec(null, null, 2.0, null, null, null, null, null)),
                "spec.autoscaling_limit_max_cu").waitFor(WAIT);
        assertThat(resized.status().autoscalingLimitMaxCu()).isEqualTo(2.0);

        Role role = api.createRole(dev.name(), "sdk-role", Role.of(new Role.Spec("sdk_role", null, "PG_PASSWORD_SCRAM_SHA_256", null, null)), false)
                .waitFor(WAIT);
        assertThat(role.status().postgresRole()).isEqualTo("sdk_role");
        Database db = api.createDatabase(dev.name(), "sdk-db", Database.of(new Database.Spec("sdk_db", role.name())), false).waitFor(WAIT);
        assertThat(db.status().postgresDatabase()).isEqualTo("sdk_db");
        assertThat(api.listDatabases(dev.name()).stream().map(Database::name)).contains(db.name());
        assertThat(api.listRoles(dev.name()).stream().map(Role::name)).contains(role.name());

        DatabaseCredential cred = api.generateDatabaseCredential(primary.name());
        assertThat(cred.token()).isNotBlank();
        assertThat(cred.expireTime()).isAfter(Instant.now());

        // paging: page_size 1 walks every page until the token runs out
        for (int i = 0; i < 3; i++) {
            api.createProject("sdk-page-" + i, null).waitFor(WAIT);
        }
        List<String> paged = client.postgres().listJson("", "projects", Map.of("page_size", 1)).stream().map(j -> j.path("name").asText()).toList();
        assertThat(paged).contains("projects/sdk-page-0", "projects/sdk-page-1", "projects/sdk-page-2", "projects/sdk-p").doesNotHaveDuplicates();
        assertThat(api.listProjects(false).stream().map(Project::name)).containsAll(paged);
        assertThat(api.listBranches(p.name(), false).stream().map(Branch::name)).containsExactlyInAnyOrder(production.name(), dev.name());
        assertThat(api.listEndpoints(dev.name()).stream().map(Endpoint::name)).contains(primary.name());

        // typed exceptions from the error JSON
        assertThatThrownBy(() -> api.getProject("projects/none")).isInstanceOf(OxbowException.NotFound.class)
                .satisfies(e -> assertThat(((OxbowException) e).httpStatus()).isEqualTo(404));
        assertThatThrownBy(() -> api.createProject("sdk-p", null)).isInstanceOf(OxbowException.AlreadyExists.class)
                .hasMessageContaining("already exists");
        assertThatThrownBy(() -> api.createProject("Bad_Id", null)).isInstanceOf(OxbowException.InvalidParameterValue.class)
                .hasMessageContaining("must match pattern");
        assertThatThrownBy(() -> api.deleteEndpoint(primary.name()).waitFor(WAIT)).isInstanceOf(OxbowException.BadRequest.class);
        assertThatThrownBy(() -> new OxbowClient(ts.baseUrl(), "wrong").postgres().getProject(p.name()))
                .isInstanceOf(OxbowException.Unauthenticated.class);
        assertThatThrownBy(() -> api.getSyncedTable("main.app.orders")).isInstanceOf(OxbowException.NotFound.class);

        // synced table from a Delta table given by its path (the shared server serves no catalog): create, get, sync now, delete
        java.nio.file.Path delta = homes.newHome("sdk-sync").resolve("orders");
        DeltaTableWriter orders = DeltaTableWriter.create(delta, SyncedTableTest.SCHEMA, true);
        orders.append(SyncedTableTest.rows(0, 30));
        SyncedTable.Spec syncSpec = new SyncedTable.Spec(delta.toString(), List.of("id"), null, "TRIGGERED", dev.name(), "databricks_postgres",
                null, null, null);
        Operation<SyncedTable> creating = api.createSyncedTable("files.sdk.orders", SyncedTable.of(syncSpec));
        SyncedTable created = creating.waitFor(WAIT);
        assertThat(created.name()).isEqualTo("synced_tables/files.sdk.orders");
        assertThat(created.spec().sourceTableFullName()).isEqualTo(delta.toString());
        assertThat(created.spec().primaryKeyColumns()).containsExactly("id");
        assertThat(created.spec().branch()).isEqualTo(dev.name());
        SyncedTable fetched = api.getSyncedTable("synced_tables/files.sdk.orders");
        assertThat(fetched.status().detailedState()).isEqualTo("SYNCED_TABLE_ONLINE_NO_PENDING_UPDATE");
        assertThat(fetched.status().online()).isTrue();
        assertThat(fetched.status().project()).isEqualTo(p.name());
        assertThat(fetched.status().unityCatalogProvisioningState()).isEqualTo("ACTIVE");
        assertThat(fetched.status().lastProcessedCommitVersion()).isEqualTo(orders.version());
        assertThat(fetched.status().lastSync().path("delta_table_sync_info").path("delta_commit_version").asLong()).isEqualTo(orders.version());
        assertThat(Sql.column(ts, primary.name(), "databricks_postgres", "SELECT count(*) FROM sdk.orders")).containsExactly("30");
        orders.append(SyncedTableTest.rows(30, 45));
        assertThat(api.syncSyncedTable("files.sdk.orders").waitFor(WAIT).status().lastProcessedCommitVersion()).isEqualTo(orders.version());
        assertThat(Sql.column(ts, primary.name(), "databricks_postgres", "SELECT count(*) FROM sdk.orders")).containsExactly("45");
        assertThatThrownBy(() -> api.createSyncedTable("files.sdk.orders", SyncedTable.of(syncSpec))).isInstanceOf(OxbowException.AlreadyExists.class);
        assertThatThrownBy(() -> api.createSyncedTable("files.sdk.other", SyncedTable.of(new SyncedTable.Spec("nope.sdk.orders", List.of("id"), null,
                "SNAPSHOT", dev.name(), "databricks_postgres", null, null, null)))).isInstanceOf(OxbowException.BadRequest.class)
                .hasMessageContaining("Catalog 'nope' is not configured");
        api.deleteSyncedTable("files.sdk.orders", true).waitFor(WAIT);
        assertThatThrownBy(() -> api.getSyncedTable("files.sdk.orders")).isInstanceOf(OxbowException.NotFound.class);
        assertThat(Sql.column(ts, primary.name(), "databricks_postgres", "SELECT to_regclass('sdk.orders') IS NULL")).containsExactly("t");

        // soft delete, undelete, purge
        api.deleteBranch(dev.name(), false).waitFor(WAIT);
        assertThat(api.getBranch(dev.name()).status().currentState()).as("readable by name until purged").isEqualTo("DELETED");
        assertThat(api.listBranches(p.name(), true).stream().map(Branch::name)).contains(dev.name());
        api.undeleteBranch(dev.name()).waitFor(WAIT);
        assertThat(api.getBranch(dev.name()).status().currentState()).isEqualTo("READY");
        api.deleteProject(p.name(), true).waitFor(WAIT);
        assertThatThrownBy(() -> api.getProject(p.name())).isInstanceOf(OxbowException.NotFound.class);
        assertThat(api.listProjects(true).stream().map(Project::name)).doesNotContain(p.name());
    }
}
