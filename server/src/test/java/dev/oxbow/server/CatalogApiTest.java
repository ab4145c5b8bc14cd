package dev.oxbow.server;

import com.databricks.sdk.core.error.platform.NotFound;
import com.databricks.sdk.service.postgres.Catalog;
import com.databricks.sdk.service.postgres.CatalogCatalogSpec;
import com.databricks.sdk.service.postgres.CreateCatalogRequest;
import com.databricks.sdk.service.postgres.CreateProjectRequest;
import com.databricks.sdk.service.postgres.DeleteCatalogRequest;
import com.databricks.sdk.service.postgres.GetCatalogRequest;
import com.databricks.sdk.service.postgres.ListDatabasesRequest;
import com.databricks.sdk.service.postgres.Project;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.oxbow.sync.DeltaTableWriter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Catalogs through the official Java SDK, unchanged: create (with the database made on demand), get, delete;
 * a synced table whose id names the catalog lands in the catalog's database; strangers and CAN_USE users.
 */
class CatalogApiTest {
    @RegisterExtension
    static final TestHomes homes = new TestHomes();
    static final String ALICE = "alice@example.com";
    static final String BOB = "bob@example.com";
    static final String CAROL = "carol@example.com";
    static final String BRANCH = "projects/alice-cat/branches/production";
    static final String PRIMARY = BRANCH + "/endpoints/primary";
    static final ObjectMapper JSON = new ObjectMapper();
    private static TestServer t;
    private static Path lake;
    private static String aliceToken;
    private static String bobToken;
    private static String carolToken;

    @BeforeAll
    static void start() throws Exception {
        Path home = homes.newHome("catalogs");
        lake = home.resolve("lake");
        Files.createDirectories(lake);
        t = TestServer.start(TestServer.config(home).withCatalogs(Map.of("lake", lake)));
        aliceToken = t.userWithToken(ALICE);
        bobToken = t.userWithToken(BOB);
        carolToken = t.userWithToken(CAROL);
        t.sdk(aliceToken).postgres().createProject(new CreateProjectRequest().setProjectId("alice-cat").setProject(new Project()))
                .waitForCompletion();
        assertThat(t.http("PATCH", "/api/2.0/permissions/database-projects/alice-cat",
                "{\"access_control_list\":[{\"user_name\":\"" + CAROL + "\",\"permission_level\":\"CAN_USE\"}]}", aliceToken).statusCode())
                .isEqualTo(200);
    }

    @AfterAll
    static void stop() {
        t.close();
    }

    static JsonNode body(HttpResponse<String> r) throws Exception {
        return JSON.readTree(r.body());
    }

    static JsonNode await(String token, String operation) throws Exception {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(90));
        while (true) {
            JsonNode op = body(t.http("GET", "/api/2.0/postgres/" + operation, null, token));
            if (op.path("done").asBoolean(false)) return op;
            if (Instant.now().isAfter(deadline)) throw new AssertionError("operation not done: " + op);
            Thread.sleep(100);
        }
    }

    static Catalog catalog(String branch, String database, Boolean create) {
        return new Catalog().setSpec(new CatalogCatalogSpec().setBranch(branch).setPostgresDatabase(database).setCreateDatabaseIfMissing(create));
    }

    @Test
    void createGetDeleteThroughTheSdkWithTheDatabaseMadeOnDemand() throws Exception {
        var alice = t.sdk(aliceToken).postgres();
        Catalog made = alice.createCatalog(new CreateCatalogRequest().setCatalogId("alice_shop").setCatalog(catalog(BRANCH, "shop", true)))
                .waitForCompletion();
        assertThat(made.getName()).isEqualTo("catalogs/alice_shop");
        assertThat(made.getUid()).isNotBlank();
        assertThat(made.getStatus().getProject()).isEqualTo("projects/alice-cat");
        assertThat(made.getStatus().getBranch()).isEqualTo(BRANCH);
        assertThat(made.getStatus().getPostgresDatabase()).isEqualTo("shop");
        List<String> databases = new ArrayList<>();
        alice.listDatabases(new ListDatabasesRequest().setParent(BRANCH)).forEach(d -> databases.add(d.getStatus().getPostgresDatabase()));
        assertThat(databases).contains("shop");

        Catalog got = alice.getCatalog(new GetCatalogRequest().setName("catalogs/alice_shop"));
        assertThat(got.getUid()).isEqualTo(made.getUid());
        assertThat(got.getSpec().getBranch()).isEqualTo(BRANCH);
        // CAN_USE reads it, but may not delete it
        assertThat(t.sdk(carolToken).postgres().getCatalog(new GetCatalogRequest().setName("catalogs/alice_shop")).getUid()).isEqualTo(made.getUid());
        HttpResponse<String> carolDelete = t.http("DELETE", "/api/2.0/postgres/catalogs/alice_shop", null, carolToken);
        assertThat(carolDelete.statusCode()).isEqualTo(403);

        alice.deleteCatalog(new DeleteCatalogRequest().setName("catalogs/alice_shop")).waitForCompletion();
        assertThatThrownBy(() -> alice.getCatalog(new GetCatalogRequest().setName("catalogs/alice_shop"))).isInstanceOf(NotFound.class);
        List<String> after = new ArrayList<>();
        alice.listDatabases(new ListDatabasesRequest().setParent(BRANCH)).forEach(d -> after.add(d.getStatus().getPostgresDatabase()));
        assertThat(after).as("the database stays").contains("shop");
    }

    @Test
    void badInputIsRefusedAndCreatesNothing() throws Exception {
        String good = "{\"spec\":{\"branch\":\"" + BRANCH + "\",\"postgres_database\":\"databricks_postgres\"}}";
        record Case(String query, String body, int status, String code, String named) {}
        List<Case> cases = List.of(
                new Case("", good, 400, "INVALID_PARAMETER_VALUE", "catalog_id"),
                new Case("?catalog_id=bad-name", good, 400, "INVALID_PARAMETER_VALUE", "catalog_id"),
                new Case("?catalog_id=x1", "{}", 400, "INVALID_PARAMETER_VALUE", "spec"),
                new Case("?catalog_id=x1", "{\"spec\":{\"postgres_database\":\"d\"}}", 400, "INVALID_PARAMETER_VALUE", "spec.branch"),
                new Case("?catalog_id=x1", "{\"spec\":{\"branch\":\"production\",\"postgres_database\":\"d\"}}", 400, "INVALID_PARAMETER_VALUE", "spec.branch"),
                new Case("?catalog_id=x1", "{\"spec\":{\"branch\":\"projects/\",\"postgres_database\":\"d\"}}", 400, "INVALID_PARAMETER_VALUE", "projects/"),
                new Case("?catalog_id=x1", "{\"spec\":{\"branch\":\"projects/alice-cat\",\"postgres_database\":\"d\"}}", 400, "INVALID_PARAMETER_VALUE", "projects/alice-cat"),
                new Case("?catalog_id=x1", "{\"spec\":{\"branch\":\"" + BRANCH + "\"}}", 400, "INVALID_PARAMETER_VALUE", "spec.postgres_database"),
                new Case("?catalog_id=x1", "{\"spec\":{\"branch\":\"" + BRANCH + "\",\"postgres_database\":7}}", 400, "INVALID_PARAMETER_VALUE", "spec.postgres_database"),
                new Case("?catalog_id=x1", "{\"spec\":{\"branch\":\"" + BRANCH + "\",\"postgres_database\":\"nope\"}}", 404, "NOT_FOUND", "create_database_if_missing"),
                new Case("?catalog_id=lake", good, 409, "ALREADY_EXISTS", "catalogs/lake"));
        for (Case c : cases) {
            HttpResponse<String> r = t.http("POST", "/api/2.0/postgres/catalogs" + c.query(), c.body(), aliceToken);
            assertThat(r.statusCode()).as(c + " " + r.body()).isEqualTo(c.status());
            assertThat(body(r).path("error_code").asText()).as(r.body()).isEqualTo(c.code());
            assertThat(body(r).path("message").asText()).as(r.body()).contains(c.named());
        }
        assertThat(t.http("GET", "/api/2.0/postgres/catalogs/x1", null, aliceToken).statusCode()).isEqualTo(404);
        assertThat(t.http("PATCH", "/api/2.0/postgres/catalogs/x1", good, aliceToken).statusCode()).isEqualTo(404);
    }

    @Test
    void strangersNeitherSeeNorUseNorLearnAboutAliceCatalog() throws Exception {
        await(aliceToken, body(t.http("POST", "/api/2.0/postgres/catalogs?catalog_id=alice_private",
                "{\"spec\":{\"branch\":\"" + BRANCH + "\",\"postgres_database\":\"databricks_postgres\"}}", aliceToken)).path("name").asText());
        HttpResponse<String> get = t.http("GET", "/api/2.0/postgres/catalogs/alice_private", null, bobToken);
        assertThat(get.statusCode()).isEqualTo(404);
        assertThat(get.body()).contains("catalogs/alice_private").doesNotContain("alice-cat").doesNotContain("production");
        HttpResponse<String> delete = t.http("DELETE", "/api/2.0/postgres/catalogs/alice_private", null, bobToken);
        assertThat(delete.statusCode()).isEqualTo(404);
        assertThat(delete.body()).doesNotContain("alice-cat");
        // a catalog on Alice's branch, made by Bob
        HttpResponse<String> onAlice = t.http("POST", "/api/2.0/postgres/catalogs?catalog_id=bob_steal",
                "{\"spec\":{\"branch\":\"" + BRANCH + "\",\"postgres_database\":\"databricks_postgres\"}}", bobToken);
        assertThat(onAlice.statusCode()).isEqualTo(404);
        // a synced table of Bob's named after Alice's catalog, with a target of his own that does not exist: the
        // refusal is about his spec, never Alice's branch or database
        HttpResponse<String> synced = t.http("POST", "/api/2.0/postgres/synced_tables?synced_table_id=alice_private.public.t",
                "{\"spec\":{\"source_table_full_name\":\"lake.s.t\",\"primary_key_columns\":[\"id\"],\"scheduling_policy\":\"SNAPSHOT\","
                        + "\"branch\":\"projects/bob-none/branches/production\",\"postgres_database\":\"x\"}}", bobToken);
        assertThat(synced.statusCode()).isEqualTo(404);
        assertThat(synced.body()).doesNotContain("alice-cat").doesNotContain("databricks_postgres");
        HttpResponse<String> noTarget = t.http("POST", "/api/2.0/postgres/synced_tables?synced_table_id=alice_private.public.t",
                "{\"spec\":{\"source_table_full_name\":\"lake.s.t\",\"primary_key_columns\":[\"id\"],\"scheduling_policy\":\"SNAPSHOT\"}}", bobToken);
        assertThat(noTarget.statusCode()).isEqualTo(400);
        assertThat(noTarget.body()).contains("spec.branch").doesNotContain("alice-cat");
        assertThat(t.http("GET", "/api/2.0/postgres/catalogs/alice_private", null, aliceToken).statusCode()).isEqualTo(200);
    }

    @Test
    void aSyncedTableNamedAfterTheCatalogLandsInItsDatabase() throws Exception {
        assertThat(t.http("PUT", "/api/2.0/permissions/oxbow-catalogs/lake",
                "{\"access_control_list\":[{\"user_name\":\"" + ALICE + "\",\"permission_level\":\"CAN_USE\"}]}").statusCode()).isEqualTo(200);
        JsonNode made = await(aliceToken, body(t.http("POST", "/api/2.0/postgres/catalogs?catalog_id=alice_sales",
                "{\"spec\":{\"branch\":\"" + BRANCH + "\",\"postgres_database\":\"sales\",\"create_database_if_missing\":true}}", aliceToken))
                .path("name").asText());
        assertThat(made.path("response").path("status").path("postgres_database").asText()).as(made.toString()).isEqualTo("sales");
        DeltaTableWriter w = DeltaTableWriter.create(lake.resolve("s").resolve("orders"), SyncedTableTest.SCHEMA, false);
        w.append(SyncedTableTest.rows(0, 25));
        String spec = "{\"spec\":{\"source_table_full_name\":\"lake.s.orders\",\"primary_key_columns\":[\"id\"],\"scheduling_policy\":\"SNAPSHOT\"}}";
        JsonNode synced = await(aliceToken, body(t.http("POST", "/api/2.0/postgres/synced_tables?synced_table_id=alice_sales.public.orders",
                spec, aliceToken)).path("name").asText());
        assertThat(synced.path("response").path("spec").path("branch").asText()).as(synced.toString()).isEqualTo(BRANCH);
        assertThat(synced.path("response").path("spec").path("postgres_database").asText()).isEqualTo("sales");
        assertThat(Sql.column(t, PRIMARY, "sales", "SELECT count(*) FROM public.orders")).containsExactly("25");
        // a stranger asking for the synced table learns nothing of the project behind it
        HttpResponse<String> bobGet = t.http("GET", "/api/2.0/postgres/synced_tables/alice_sales.public.orders", null, bobToken);
        assertThat(bobGet.statusCode()).isEqualTo(404);
        assertThat(bobGet.body()).contains("synced_tables/alice_sales.public.orders").doesNotContain("alice-cat");
        assertThat(t.http("DELETE", "/api/2.0/postgres/synced_tables/alice_sales.public.orders", null, bobToken).body()).doesNotContain("alice-cat");
        // naming another database than the catalog's is refused
        HttpResponse<String> other = t.http("POST", "/api/2.0/postgres/synced_tables?synced_table_id=alice_sales.public.other",
                "{\"spec\":{\"source_table_full_name\":\"lake.s.orders\",\"primary_key_columns\":[\"id\"],\"scheduling_policy\":\"SNAPSHOT\","
                        + "\"branch\":\"" + BRANCH + "\",\"postgres_database\":\"databricks_postgres\"}}", aliceToken);
        assertThat(other.statusCode()).isEqualTo(400);
        assertThat(body(other).path("message").asText()).contains("alice_sales", "sales");
    }
}
