package dev.oxbow.server;

import dev.oxbow.metadata.EndpointState;
import org.junit.jupiter.api.extension.RegisterExtension;

import com.databricks.sdk.WorkspaceClient;
import com.databricks.sdk.service.postgres.CreateSyncedTableRequest;
import com.databricks.sdk.service.postgres.SyncedTable;
import com.databricks.sdk.service.postgres.SyncedTableSyncedTableSpec;
import com.databricks.sdk.service.postgres.SyncedTableSyncedTableSpecSyncedTableSchedulingPolicy;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.oxbow.sync.DeltaSource;
import dev.oxbow.sync.DeltaTableWriter;
import io.delta.kernel.types.DoubleType;
import io.delta.kernel.types.LongType;
import io.delta.kernel.types.StringType;
import io.delta.kernel.types.StructType;
import io.delta.kernel.types.TimestampType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/** Synced tables end to end through the API: each mode, deletes, null keys, duplicates, types, schema changes. */
class SyncedTableTest {
    @RegisterExtension
    static final TestHomes homes = new TestHomes();
    static final StructType SCHEMA = new StructType().add("id", LongType.LONG).add("name", StringType.STRING)
            .add("amount", DoubleType.DOUBLE).add("ts", TimestampType.TIMESTAMP);
    static final String PRIMARY = "projects/sync-p/branches/production/endpoints/primary";
    private static final ObjectMapper json = new ObjectMapper();
    private static TestServer t;
    private static Path lake;

    @BeforeAll
    static void start() throws Exception {
        Path home = homes.newHome("sync");
        lake = home.resolve("lake");
        t = TestServer.start(TestServer.config(home).withCatalogs(Map.of("lake", lake)));
        awaitOp(body(t.http("POST", "/api/2.0/postgres/projects?project_id=sync-p", "{}")).path("name").asText());
    }

    @AfterAll
    static void stop() {
        t.close();
    }

    static Object[] row(Long id, String name, double amount, long second) {
        return new Object[] {id, name, amount, Instant.ofEpochSecond(1_700_000_000L + second)};
    }

    static List<Object[]> rows(long from, long to) {
        List<Object[]> out = new ArrayList<>();
        for (long i = from; i < to; i++) out.add(row(i, "name-" + i, i * 1.5, i));
        return out;
    }

    static JsonNode body(java.net.http.HttpResponse<String> r) throws Exception {
        return json.readTree(r.body());
    }

    static JsonNode awaitOp(String name) throws Exception {
        return t.awaitOperation(name, Duration.ofSeconds(90));
    }

    static void await(BooleanSupplier condition) throws InterruptedException {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(90));
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) throw new AssertionError("condition not met in 90 s");
            Thread.sleep(100);
        }
    }

    static JsonNode create(String id, String source, String policy, String extra) throws Exception {
        String spec = "{\"spec\":{\"source_table_full_name\":\"" + source + "\",\"primary_key_columns\":[\"id\"],\"scheduling_policy\":\"" + policy
                + "\",\"branch\":\"projects/sync-p/branches/production\",\"postgres_database\":\"databricks_postgres\"" + extra + "}}";
        return body(t.http("POST", "/api/2.0/postgres/synced_tables?synced_table_id=" + id, spec));
    }

    static JsonNode get(String id) throws Exception {
        return body(t.http("GET", "/api/2.0/postgres/synced_tables/" + id, null));
    }

    /** Postgres rows and the Delta snapshot's live rows (null keys left out) as sorted text; doubles compared as numbers. */
    static void assertSynced(Path table, String pgTable) throws Exception {
        assertSynced(t, PRIMARY, table, pgTable);
    }

    /** The same check on any server and endpoint (the crash test's restarted server). */
    static void assertSynced(TestServer t, String endpoint, Path table, String pgTable) throws Exception {
        // both sorted: list equality is the same check in linear time (containsExactlyElementsOf diffs quadratically)
        assertThat(postgresRows(t, endpoint, pgTable)).isEqualTo(deltaRows(table));
    }

    /** The Delta table's rows with a key, as id|name|amount|ts-micros, sorted. */
    static List<String> deltaRows(Path table) throws Exception {
        DeltaSource source = new DeltaSource(table.toString());
        List<String> expected = new ArrayList<>();
        for (List<String> r : source.rowsAsText(source.latest())) {
            if (r.get(0) != null) expected.add(r.get(0) + "|" + r.get(1) + "|" + Double.parseDouble(r.get(2)) + "|" + r.get(3));
        }
        expected.sort(null);
        return expected;
    }

    /** The Postgres table's rows in {@link #deltaRows}' form, sorted. */
    static List<String> postgresRows(TestServer t, String endpoint, String pgTable) throws Exception {
        List<String> actual = new ArrayList<>();
        try (Connection c = Sql.connect(t, endpoint, "databricks_postgres"); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT id, name, amount, (extract(epoch from ts) * 1000000)::bigint FROM " + pgTable)) {
            while (rs.next()) actual.add(rs.getLong(1) + "|" + rs.getString(2) + "|" + rs.getDouble(3) + "|" + rs.getLong(4));
        }
        actual.sort(null);
        return actual;
    }

    static long count(String pgTable) throws Exception {
        return Long.parseLong(Sql.column(t, PRIMARY, "databricks_postgres", "SELECT count(*) FROM " + pgTable).get(0));
    }

    @Test
    void triggeredThroughTheSdkThenSyncNow() throws Exception {
        Path table = lake.resolve("sales").resolve("orders");
        DeltaTableWriter w = DeltaTableWriter.create(table, SCHEMA, true);
        List<Object[]> first = rows(0, 200);
        first.add(row(null, "no key", 0, 0));
        w.append(first);

        WorkspaceClient sdk = t.sdk();
        SyncedTable created = sdk.postgres().createSyncedTable(new CreateSyncedTableRequest().setSyncedTableId("lake.sales.orders_synced")
                .setSyncedTable(new SyncedTable().setSpec(new SyncedTableSyncedTableSpec().setSourceTableFullName("lake.sales.orders")
                        .setPrimaryKeyColumns(List.of("id")).setSchedulingPolicy(SyncedTableSyncedTableSpecSyncedTableSchedulingPolicy.TRIGGERED)
                        .setBranch("projects/sync-p/branches/production").setPostgresDatabase("databricks_postgres")))).waitForCompletion();
        assertThat(created.getName()).isEqualTo("synced_tables/lake.sales.orders_synced");
        assertSynced(table, "sales.orders_synced");
        SyncedTable fetched = sdk.postgres().getSyncedTable("synced_tables/lake.sales.orders_synced");
        assertThat(fetched.getStatus().getLastProcessedCommitVersion()).isEqualTo(w.version());
        assertThat(fetched.getStatus().getMessage()).contains("1 source rows with a null primary key");

        long appended = w.append(rows(200, 260));
        w.append(rows(260, 270));
        w.removeFilesOf(appended);
        w.update(r -> r[0] != null && (Long) r[0] % 7 == 0, r -> { r[1] = "updated"; return r; });
        w.delete(r -> r[0] != null && (Long) r[0] >= 100 && (Long) r[0] < 120);
        // the compute is suspended: the sync wakes it, as a client connection would
        var cp = t.server().controlPlane();
        var primary = cp.store().endpoints().get(PRIMARY).orElseThrow();
        cp.computes().suspend(primary);
        assertThat(cp.computes().running(primary)).isFalse();
        JsonNode op = body(t.http("POST", "/api/2.0/postgres/synced_tables/lake.sales.orders_synced:sync", null));
        JsonNode done = awaitOp(op.path("name").asText());
        assertThat(done.path("response").path("status").path("last_processed_commit_version").asLong()).isEqualTo(w.version());
        assertThat(cp.store().endpoints().get(PRIMARY).orElseThrow().state()).isEqualTo(EndpointState.ACTIVE);
        assertSynced(table, "sales.orders_synced");
        JsonNode status = get("lake.sales.orders_synced").path("status");
        assertThat(status.path("detailed_state").asText()).isEqualTo("SYNCED_TABLE_ONLINE_NO_PENDING_UPDATE");
        assertThat(status.path("last_sync").path("delta_table_sync_info").path("delta_commit_version").asLong()).isEqualTo(w.version());

        String metrics = t.http("GET", "/metrics", null).body();
        assertThat(metrics).contains("oxbow_synced_table_versions_behind{policy=\"TRIGGERED\",project=\"sync-p\",synced_table=\"lake.sales.orders_synced\"} 0.0");

        sdk.postgres().deleteSyncedTable("synced_tables/lake.sales.orders_synced").waitForCompletion();
        assertThat(t.http("GET", "/api/2.0/postgres/synced_tables/lake.sales.orders_synced", null).statusCode()).isEqualTo(404);
        assertThat(count("sales.orders_synced")).as("without purge_data the Postgres table stays").isEqualTo(190);
    }

    @Test
    void snapshotFromAPathAndContinuousFollowsCommits() throws Exception {
        Path snapTable = lake.resolve("raw").resolve("snap");
        DeltaTableWriter snap = DeltaTableWriter.create(snapTable, SCHEMA, false);
        snap.append(rows(0, 50));
        assertThat(awaitOp(create("main.snap.copy", snapTable.toString(), "SNAPSHOT", "").path("name").asText()).has("response")).isTrue();
        assertSynced(snapTable, "snap.copy");
        snap.delete(r -> (Long) r[0] < 10);
        awaitOp(body(t.http("POST", "/api/2.0/postgres/synced_tables/main.snap.copy:sync", null)).path("name").asText());
        assertSynced(snapTable, "snap.copy");

        Path table = lake.resolve("stream").resolve("events");
        DeltaTableWriter w = DeltaTableWriter.create(table, SCHEMA, true);
        w.append(rows(0, 10));
        awaitOp(create("lake.stream.events", "lake.stream.events", "CONTINUOUS", "").path("name").asText());
        assertThat(get("lake.stream.events").path("status").path("detailed_state").asText()).isEqualTo("SYNCED_TABLE_ONLINE_CONTINUOUS_UPDATE");
        w.append(rows(10, 30));
        w.delete(r -> (Long) r[0] < 5);
        long target = w.version();
        await(() -> {
            try {
                return get("lake.stream.events").path("status").path("last_processed_commit_version").asLong() == target;
            } catch (Exception e) {
                return false;
            }
        });
        assertSynced(table, "stream.events");

        // additive change: the new column appears; a dropped column stops the sync with the reason
        w.changeSchema(SCHEMA.add("note", StringType.STRING));
        w.append(List.<Object[]>of(new Object[] {100L, "hundred", 1.0, Instant.ofEpochSecond(1_700_000_100L), "new column"}));
        await(() -> {
            try {
                return count("stream.events") == 26;
            } catch (Exception e) {
                return false;
            }
        });
        assertThat(Sql.column(t, PRIMARY, "databricks_postgres", "SELECT note FROM stream.events WHERE id = 100")).containsExactly("new column");
        w.changeSchema(new StructType().add("id", LongType.LONG).add("name", StringType.STRING));
        await(() -> {
            try {
                return get("lake.stream.events").path("status").path("detailed_state").asText().equals("SYNCED_TABLE_ONLINE_PIPELINE_FAILED");
            } catch (Exception e) {
                return false;
            }
        });
        assertThat(get("lake.stream.events").path("status").path("message").asText()).contains("column amount was dropped");
        assertThat(count("stream.events")).as("the last good data is still served").isEqualTo(26);

        awaitOp(body(t.http("DELETE", "/api/2.0/postgres/synced_tables/lake.stream.events?purge_data=true", null)).path("name").asText());
        assertThat(Sql.column(t, PRIMARY, "databricks_postgres", "SELECT to_regclass('stream.events') IS NULL")).containsExactly("t");
    }

    @Test
    void badSpecsAreRefusedWithTheReason() throws Exception {
        Path plain = lake.resolve("bad").resolve("nocdf");
        DeltaTableWriter.create(plain, SCHEMA, false).append(List.<Object[]>of(row(1L, "a", 1, 1), row(1L, "b", 2, 2)));
        assertThat(create("lake.bad.t1", "lake.bad.nocdf", "TRIGGERED", "").path("message").asText()).contains("delta.enableChangeDataFeed");
        assertThat(create("lake.bad.t2", "nope.bad.nocdf", "SNAPSHOT", "").path("message").asText()).contains("Catalog 'nope' is not configured");
        assertThat(create("lake.bad.t3", "lake.bad.missing", "SNAPSHOT", "").path("message").asText()).contains("No Delta table at");
        assertThat(create("lake.bad.t4", "lake.bad.nocdf", "SNAPSHOT", ",\"primary_key_columns\":[\"nope\"]").path("error_code").asText())
                .isEqualTo("INVALID_PARAMETER_VALUE");
        assertThat(create("bad-id", "lake.bad.nocdf", "SNAPSHOT", "").path("error_code").asText()).isEqualTo("INVALID_PARAMETER_VALUE");

        Path variant = lake.resolve("bad").resolve("variant");
        Files.createDirectories(variant.resolve("_delta_log"));
        Files.writeString(variant.resolve("_delta_log").resolve("00000000000000000000.json"), String.join("\n",
                "{\"protocol\":{\"minReaderVersion\":3,\"minWriterVersion\":7,\"readerFeatures\":[\"variantType\"],\"writerFeatures\":[\"variantType\"]}}",
                "{\"metaData\":{\"id\":\"6f1c0f5e-0000-4000-8000-000000000001\",\"format\":{\"provider\":\"parquet\",\"options\":{}},\"schemaString\":"
                        + json.writeValueAsString("{\"type\":\"struct\",\"fields\":[{\"name\":\"id\",\"type\":\"long\",\"nullable\":true,\"metadata\":{}},"
                        + "{\"name\":\"v\",\"type\":\"variant\",\"nullable\":true,\"metadata\":{}}]}")
                        + ",\"partitionColumns\":[],\"configuration\":{},\"createdTime\":1700000000000}}") + "\n");
        var unsupported = t.http("POST", "/api/2.0/postgres/synced_tables?synced_table_id=lake.bad.t5",
                "{\"spec\":{\"source_table_full_name\":\"lake.bad.variant\",\"primary_key_columns\":[\"id\"],\"scheduling_policy\":\"SNAPSHOT\","
                        + "\"branch\":\"projects/sync-p/branches/production\",\"postgres_database\":\"databricks_postgres\"}}");
        assertThat(unsupported.statusCode()).isEqualTo(400);
        assertThat(body(unsupported).path("message").asText()).contains("v variant");

        // duplicate keys without a timeseries key: the create fails saying why and leaves no failed table; with one, the newest row wins
        JsonNode failed = awaitOp(create("lake.bad.dups", "lake.bad.nocdf", "SNAPSHOT", "").path("name").asText());
        assertThat(failed.path("error").path("message").asText()).contains("same primary key").contains("timeseries_key")
                .contains("was not created");
        assertThat(t.http("GET", "/api/2.0/postgres/synced_tables/lake.bad.dups", null).statusCode()).isEqualTo(404);
        assertThat(Sql.column(t, PRIMARY, "databricks_postgres", "SELECT to_regclass('bad.dups') IS NULL")).containsExactly("t");
        awaitOp(create("lake.bad.dups_ts", "lake.bad.nocdf", "SNAPSHOT", ",\"timeseries_key\":\"ts\"").path("name").asText());
        assertThat(Sql.column(t, PRIMARY, "databricks_postgres", "SELECT name FROM bad.dups_ts")).containsExactly("b");
        assertThat(t.http("POST", "/api/2.0/postgres/synced_tables?synced_table_id=lake.bad.dups_ts",
                "{\"spec\":{\"source_table_full_name\":\"lake.bad.nocdf\",\"primary_key_columns\":[\"id\"],\"scheduling_policy\":\"SNAPSHOT\","
                        + "\"branch\":\"projects/sync-p/branches/production\",\"postgres_database\":\"databricks_postgres\"}}").statusCode()).isEqualTo(409);
    }
}
