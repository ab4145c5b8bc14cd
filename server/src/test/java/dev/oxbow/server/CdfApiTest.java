package dev.oxbow.server;

import com.databricks.sdk.service.postgres.CdfConfig;
import com.databricks.sdk.service.postgres.CdfState;
import com.databricks.sdk.service.postgres.CdfStatus;
import com.databricks.sdk.service.postgres.CreateCdfConfigRequest;
import com.databricks.sdk.service.postgres.CreateProjectRequest;
import com.databricks.sdk.service.postgres.Project;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.oxbow.metadata.Endpoint;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
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

/**
 * CDF configs through the official Java SDK, unchanged: a feed of a schema lands in {@code lake.shop_cdf.*} and
 * follows inserts, updates and deletes; statuses; a suspended compute is not woken by its feed and is caught up
 * after a wake; invalid configs are refused with nothing created; /metrics carries the feed's lag, for admins only.
 * (kill -9 of Oxbow mid-batch and the restart on the same home: {@link SyncCrashTest}.)
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CdfApiTest {
    @RegisterExtension
    static final TestHomes homes = new TestHomes();
    static final String BRANCH = "projects/cdfp/branches/production";
    static final String PRIMARY = BRANCH + "/endpoints/primary";
    static final String DATABASE = BRANCH + "/databases/databricks-postgres";
    static final String CONFIG = DATABASE + "/cdf-configs/shop";
    static final ObjectMapper JSON = new ObjectMapper();
    private Path home;
    private Path lake;
    private TestServer t;

    @BeforeAll
    void start() throws Exception {
        home = homes.newHome("cdf");
        lake = Files.createDirectories(home.resolve("lake"));
        t = TestServer.start(config());
        t.sdk().postgres().createProject(new CreateProjectRequest().setProjectId("cdfp").setProject(new Project())).waitForCompletion();
        sql("CREATE SCHEMA shop; CREATE TABLE shop.orders (id bigint PRIMARY KEY, item text, qty int, at timestamptz DEFAULT now());"
                + " INSERT INTO shop.orders (id, item, qty) SELECT g, 'item ' || g, g FROM generate_series(1, 50) g");
    }

    dev.oxbow.server.ServerConfig config() {
        return TestServer.config(home).withCatalogs(Map.of("lake", lake, "gone", home.resolve("no-such-dir")));
    }

    @AfterAll
    void stop() {
        if (t != null) t.close();
    }

    @Test
    @Order(1)
    void aFeedThroughTheSdkFollowsInsertsUpdatesAndDeletes() throws Exception {
        var postgres = t.sdk().postgres();
        CdfConfig made = postgres.createCdfConfig(new CreateCdfConfigRequest().setParent(DATABASE).setCdfConfigId("shop")
                .setCdfConfig(new CdfConfig().setCatalog("lake").setSchema("shop_cdf").setPostgresSchema("shop"))).waitForCompletion();
        assertThat(made.getName()).isEqualTo(CONFIG);
        assertThat(made.getPostgresSchema()).isEqualTo("shop");
        assertThat(postgres.getCdfConfig(CONFIG).getCatalog()).isEqualTo("lake");
        List<String> names = new ArrayList<>();
        postgres.listCdfConfigs(DATABASE).forEach(c -> names.add(c.getName()));
        assertThat(names).containsExactly(CONFIG);
        awaitSame();

        sql("INSERT INTO shop.orders (id, item, qty) VALUES (100, 'new', 1); UPDATE shop.orders SET qty = qty * 10 WHERE id <= 5;"
                + " DELETE FROM shop.orders WHERE id BETWEEN 40 AND 45");
        awaitSame();
        CdfStatus status = postgres.getCdfStatus(CONFIG + "/cdf-statuses/orders");
        assertThat(status.getState()).isEqualTo(CdfState.CDF_STATE_STREAMING);
        assertThat(status.getUcTable()).isEqualTo("lake.shop_cdf.orders");
        assertThat(status.getCommittedLsn()).matches("[0-9A-F]+/[0-9A-F]+");
        assertThat(status.getLastSyncTime()).isNotNull();
        List<CdfStatus> statuses = new ArrayList<>();
        postgres.listCdfStatuses(CONFIG).forEach(statuses::add);
        assertThat(statuses).extracting(CdfStatus::getPostgresTable).containsExactly("orders");
        JsonNode raw = JSON.readTree(t.http("GET", "/api/2.0/postgres/" + CONFIG + "/cdf-statuses/orders", null).body());
        assertThat(raw.path("retained_wal_bytes").isNumber()).isTrue();

        // the feed's lag on /metrics, labelled by the config's name: for an admin only (it names a tenant's resource)
        String label = "cdf_config=\"" + CONFIG + "\"";
        String scrape = t.http("GET", "/metrics", null, t.token()).body();
        assertThat(MetricsTest.value(scrape, "oxbow_cdf_rows_applied_total", label)).isGreaterThanOrEqualTo(12); // 1 insert, 5 updates, 6 deletes
        assertThat(MetricsTest.value(scrape, "oxbow_cdf_lag_bytes", label)).isGreaterThanOrEqualTo(0);
        assertThat(MetricsTest.value(scrape, "oxbow_cdf_retained_wal_bytes", label)).isGreaterThanOrEqualTo(0);
        assertThat(MetricsTest.value(scrape, "oxbow_cdf_last_commit_age_seconds", label)).isGreaterThanOrEqualTo(0);
        String anonymous = t.http("GET", "/metrics", null, null).body();
        assertThat(anonymous).doesNotContain("oxbow_cdf_lag_bytes{").doesNotContain(CONFIG);
    }

    @Test
    @Order(2)
    void aSuspendedComputeIsNotWokenByItsFeedAndIsCaughtUpAfterAWake() throws Exception {
        var cp = t.server().controlPlane();
        sql("INSERT INTO shop.orders (id, item, qty) VALUES (200, 'before suspend', 2)");
        Endpoint primary = cp.store().endpoints().get(PRIMARY).orElseThrow();
        cp.computes().suspend(primary);
        assertThat(cp.cdfRunner().passNow(CONFIG)).isFalse();
        assertThat(cp.computes().running(primary)).isFalse();

        String uid = primary.uid();
        cp.activity().acquire(uid).get();
        try {
            sql("INSERT INTO shop.orders (id, item, qty) VALUES (201, 'after wake', 3)");
        } finally {
            cp.activity().release(uid);
        }
        awaitSame();
        assertThat(deltaIds()).contains(200L, 201L);
    }

    @Test
    @Order(4)
    void invalidConfigsAreRefusedAndCreateNothing() throws Exception {
        assertRefused("{\"catalog\":\"lake\",\"schema\":\"x1\",\"postgres_schema\":\"nope\"}", "x1", 404, "Postgres schema 'nope' does not exist");
        assertRefused("{\"catalog\":\"other\",\"schema\":\"x2\",\"postgres_schema\":\"shop\"}", "x2", 400, "Catalog 'other' is not configured");
        assertRefused("{\"catalog\":\"gone\",\"schema\":\"x3\",\"postgres_schema\":\"shop\"}", "x3", 400, "has no directory");
        assertRefused("{\"catalog\":\"lake\",\"schema\":\"shop_cdf\",\"postgres_schema\":\"shop\"}", "x4", 409, "already writes into lake.shop_cdf");
        assertRefused("{\"catalog\":\"lake\",\"postgres_schema\":\"shop\"}", "x5", 400, "schema");
        // a project manager without CAN_MANAGE on the catalog may not write into it
        String bob = t.userWithToken("bob@example.com");
        assertThat(t.http("PATCH", "/api/2.0/permissions/database-projects/cdfp",
                "{\"access_control_list\":[{\"user_name\":\"bob@example.com\",\"permission_level\":\"CAN_MANAGE\"}]}").statusCode()).isEqualTo(200);
        HttpResponse<String> denied = t.http("POST", "/api/2.0/postgres/" + DATABASE + "/cdf-configs?cdf_config_id=bobs",
                "{\"catalog\":\"lake\",\"schema\":\"bob\",\"postgres_schema\":\"shop\"}", bob);
        assertThat(denied.statusCode()).isEqualTo(403);
        assertThat(denied.body()).contains("CAN_MANAGE on it");
        List<String> names = new ArrayList<>();
        t.sdk().postgres().listCdfConfigs(DATABASE).forEach(c -> names.add(c.getName()));
        assertThat(names).containsExactly(CONFIG);
        assertThat(Sql.column(t, PRIMARY, "databricks_postgres", "SELECT slot_name FROM pg_replication_slots")).hasSize(1);

        // deleting the config drops its slot and publication; the Delta table stays
        t.sdk().postgres().deleteCdfConfig(CONFIG).waitForCompletion();
        assertThat(Sql.column(t, PRIMARY, "databricks_postgres", "SELECT slot_name FROM pg_replication_slots")).isEmpty();
        assertThat(Sql.column(t, PRIMARY, "databricks_postgres", "SELECT pubname FROM pg_publication")).isEmpty();
        assertThat(Files.isDirectory(lake.resolve("shop_cdf").resolve("orders").resolve("_delta_log"))).isTrue();
    }

    private void assertRefused(String body, String id, int status, String message) throws Exception {
        HttpResponse<String> r = t.http("POST", "/api/2.0/postgres/" + DATABASE + "/cdf-configs?cdf_config_id=" + id, body);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(r.body()).contains(message);
    }

    // ---- helpers

    private void sql(String statements) throws Exception {
        Sql.exec(t, PRIMARY, "databricks_postgres", statements);
    }

    /** Polls until the Delta table, read with Kernel, holds exactly the Postgres rows (id, item, qty). */
    private void awaitSame() throws Exception {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        List<String> pg = null;
        List<String> delta = null;
        while (Instant.now().isBefore(deadline)) {
            pg = new ArrayList<>(Sql.column(t, PRIMARY, "databricks_postgres", "SELECT id || '|' || coalesce(item, '') || '|' || coalesce(qty::text, '') FROM shop.orders"));
            delta = deltaRows();
            pg.sort(null);
            if (delta != null) delta.sort(null);
            if (pg.equals(delta)) return;
            Thread.sleep(100);
        }
        assertThat(delta).isEqualTo(pg);
    }

    private List<Long> deltaIds() throws Exception {
        return deltaRows().stream().map(r -> Long.parseLong(r.substring(0, r.indexOf('|')))).toList();
    }

    private List<String> deltaRows() throws Exception {
        Path table = lake.resolve("shop_cdf").resolve("orders");
        if (!Files.isDirectory(table.resolve("_delta_log"))) return null;
        var source = new dev.oxbow.sync.DeltaSource(table.toString());
        List<List<String>> rows;
        try {
            rows = source.rowsAsText(source.latest());
        } catch (dev.oxbow.sync.SyncException e) {
            return null; // the directory is there, the first commit not yet
        }
        List<String> out = new ArrayList<>();
        for (List<String> r : rows) {
            out.add(r.get(0) + "|" + (r.get(1) == null ? "" : r.get(1)) + "|" + (r.get(2) == null ? "" : r.get(2)));
        }
        return out;
    }
}
