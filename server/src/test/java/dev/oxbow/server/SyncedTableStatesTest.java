package dev.oxbow.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.oxbow.sync.DeltaTableWriter;
import io.delta.kernel.types.DecimalType;
import io.delta.kernel.types.LongType;
import io.delta.kernel.types.StringType;
import io.delta.kernel.types.StructType;
import io.delta.kernel.types.TimestampType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Synced tables' states tell the truth: a source ahead of Postgres never reads "no pending update", a failed sync says
 * what happened, at which version and what to do (and serves the last good data), a schema change a full copy would
 * follow silently stops it, types keep their precision and messages show no Kernel internals. And through the API, in
 * TRIGGERED and CONTINUOUS mode, every commit of a partitioned change-data-feed table (key-changing updates, MERGE,
 * deletes with deletion vectors) lands exactly: Postgres equals a fresh SNAPSHOT copy of the same version.
 */
class SyncedTableStatesTest {
    @RegisterExtension
    static final TestHomes homes = new TestHomes();
    static final String PRIMARY = "projects/states-p/branches/production/endpoints/primary";
    static final StructType SCHEMA = new StructType().add("id", LongType.LONG).add("region", StringType.STRING)
            .add("name", StringType.STRING).add("amount", new DecimalType(12, 3)).add("ts", TimestampType.TIMESTAMP);
    private static final ObjectMapper json = new ObjectMapper();
    private static TestServer t;
    private static Path lake;

    @BeforeAll
    static void start() throws Exception {
        Path home = homes.newHome("sync-states");
        lake = home.resolve("lake");
        Files.createDirectories(lake);
        t = TestServer.start(TestServer.config(home).withCatalogs(Map.of("lake", lake)));
        awaitOp(body(t.http("POST", "/api/2.0/postgres/projects?project_id=states-p", "{}")).path("name").asText());
    }

    @AfterAll
    static void stop() {
        t.close();
    }

    static Object[] row(long id) {
        return new Object[] {id, id % 3 == 0 ? "eu" : id % 3 == 1 ? "us" : null, "name-" + id, new BigDecimal(id + ".125"),
                Instant.ofEpochSecond(1_700_000_000L + id)};
    }

    static List<Object[]> rows(long from, long to) {
        List<Object[]> out = new ArrayList<>();
        for (long i = from; i < to; i++) out.add(row(i));
        return out;
    }

    static long id(Object[] r) {
        return (Long) r[0];
    }

    static JsonNode body(java.net.http.HttpResponse<String> r) throws Exception {
        return json.readTree(r.body());
    }

    static JsonNode awaitOp(String name) throws Exception {
        return t.awaitOperation(name, Duration.ofSeconds(90));
    }

    static JsonNode create(String id, String source, String policy) throws Exception {
        String spec = "{\"spec\":{\"source_table_full_name\":\"" + source + "\",\"primary_key_columns\":[\"id\"],\"scheduling_policy\":\"" + policy
                + "\",\"branch\":\"projects/states-p/branches/production\",\"postgres_database\":\"databricks_postgres\"}}";
        return body(t.http("POST", "/api/2.0/postgres/synced_tables?synced_table_id=" + id, spec));
    }

    static JsonNode status(String id) throws Exception {
        return body(t.http("GET", "/api/2.0/postgres/synced_tables/" + id, null)).path("status");
    }

    static JsonNode syncNow(String id) throws Exception {
        return awaitOp(body(t.http("POST", "/api/2.0/postgres/synced_tables/" + id + ":sync", null)).path("name").asText());
    }

    static void await(String what, Supplier<Boolean> condition) throws Exception {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(90));
        while (!condition.get()) {
            if (Instant.now().isAfter(deadline)) throw new AssertionError(what + ": not reached in 90 s");
            Thread.sleep(100);
        }
    }

    static Supplier<Boolean> versionIs(String id, long version) {
        return () -> {
            try {
                return status(id).path("last_processed_commit_version").asLong() == version;
            } catch (Exception e) {
                return false;
            }
        };
    }

    /** Every row of a Postgres table as JSON, in key order. */
    static List<String> pgRows(String table) throws Exception {
        return Sql.column(t, PRIMARY, "databricks_postgres", "SELECT to_jsonb(x)::text FROM " + table + " x ORDER BY id");
    }

    @Test
    void everyCommitInTriggeredAndContinuousModeEqualsAFreshSnapshot() throws Exception {
        Path table = lake.resolve("shop").resolve("orders");
        DeltaTableWriter w = DeltaTableWriter.create(table, SCHEMA, List.of("region"),
                Map.of("delta.enableChangeDataFeed", "true", "delta.enableDeletionVectors", "true"));
        w.append(rows(0, 40));
        for (String[] c : new String[][] {{"lake.shop.triggered", "TRIGGERED"}, {"lake.shop.continuous", "CONTINUOUS"}, {"lake.shop.fresh", "SNAPSHOT"}}) {
            assertThat(awaitOp(create(c[0], "lake.shop.orders", c[1]).path("name").asText()).has("response")).as(c[0]).isTrue();
        }
        List<Supplier<Long>> commits = List.of(
                () -> write(() -> w.update(r -> id(r) % 4 == 0, r -> { r[2] = "renamed"; return r; })),
                () -> write(() -> w.update(r -> id(r) % 5 == 1, r -> { r[1] = "ap"; return r; })),                    // to another partition
                () -> write(() -> w.update(r -> id(r) < 3, r -> { r[0] = id(r) + 100; return r; })),                  // key changes
                () -> write(() -> w.merge(r -> id(r) % 7 == 0, r -> id(r) % 6 == 1, r -> { r[3] = new BigDecimal("-1.500"); return r; },
                        rows(200, 205))),                                                                                    // MERGE
                () -> write(() -> w.deleteWithDeletionVectors(r -> id(r) % 2 == 1 && id(r) < 30)),                    // DELETE with DVs
                () -> write(() -> w.deleteWithDeletionVectors(r -> id(r) == 202 || id(r) % 10 == 4)));
        for (Supplier<Long> commit : commits) {
            long version = commit.get();
            JsonNode done = syncNow("lake.shop.triggered");
            assertThat(done.has("response")).as("sync of version %d: %s", version, done).isTrue();
            assertThat(done.path("response").path("status").path("message").asText()).as("applied as changes").doesNotContain("full copy");
            syncNow("lake.shop.fresh");
            await("CONTINUOUS at version " + version, versionIs("lake.shop.continuous", version));
            List<String> fresh = pgRows("shop.fresh");
            assertThat(pgRows("shop.triggered")).as("TRIGGERED after version %d", version).containsExactlyElementsOf(fresh);
            assertThat(pgRows("shop.continuous")).as("CONTINUOUS after version %d", version).containsExactlyElementsOf(fresh);
            assertThat(status("lake.shop.triggered").path("detailed_state").asText()).isEqualTo("SYNCED_TABLE_ONLINE_NO_PENDING_UPDATE");
            assertThat(status("lake.shop.continuous").path("detailed_state").asText()).isEqualTo("SYNCED_TABLE_ONLINE_CONTINUOUS_UPDATE");
        }
        assertThat(Sql.column(t, PRIMARY, "databricks_postgres", "SELECT count(*) FROM shop.fresh WHERE region IS NULL").get(0))
                .as("null partition values arrive as NULL").isNotEqualTo("0");
        assertThat(Sql.column(t, PRIMARY, "databricks_postgres", "SELECT id || ':' || region FROM shop.triggered WHERE id IN (100, 101) ORDER BY id"))
                .as("key-changed rows keep their partition values").containsExactly("100:eu", "101:ap");
        assertThat(Sql.column(t, PRIMARY, "databricks_postgres", "SELECT format_type(atttypid, atttypmod) FROM pg_attribute"
                + " WHERE attrelid = 'shop.triggered'::regclass AND attname = 'amount'")).containsExactly("numeric(12,3)");
    }

    interface Commit {
        long run() throws Exception;
    }

    static long write(Commit c) {
        try {
            return c.run();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aTriggeredTableBehindItsSourceSaysSoUntilSyncNow() throws Exception {
        Path table = lake.resolve("lag").resolve("events");
        DeltaTableWriter w = DeltaTableWriter.create(table, SCHEMA, true);
        w.append(rows(0, 5));
        awaitOp(create("lake.lag.events", "lake.lag.events", "TRIGGERED").path("name").asText());
        assertThat(status("lake.lag.events").path("detailed_state").asText()).isEqualTo("SYNCED_TABLE_ONLINE_NO_PENDING_UPDATE");
        long synced = w.version();
        w.append(rows(5, 6));
        w.append(rows(6, 7));
        w.delete(r -> id(r) == 0);
        JsonNode behind = status("lake.lag.events");
        assertThat(behind.path("detailed_state").asText()).isEqualTo("SYNCED_TABLE_ONLINE");
        assertThat(behind.path("message").asText()).contains("3 commits not synced yet").contains("Delta version " + w.version())
                .contains("Postgres holds version " + synced).contains(":sync");
        assertThat(t.http("GET", "/metrics", null).body())
                .contains("oxbow_synced_table_versions_behind{policy=\"TRIGGERED\",project=\"states-p\",synced_table=\"lake.lag.events\"} 3.0");
        syncNow("lake.lag.events");
        JsonNode caughtUp = status("lake.lag.events");
        assertThat(caughtUp.path("detailed_state").asText()).isEqualTo("SYNCED_TABLE_ONLINE_NO_PENDING_UPDATE");
        assertThat(caughtUp.path("last_processed_commit_version").asLong()).isEqualTo(w.version());
    }

    @Test
    void aFailedIncrementalSyncSaysWhatVersionAndWhatToDoAndKeepsServing() throws Exception {
        Path table = lake.resolve("broken").resolve("t");
        DeltaTableWriter w = DeltaTableWriter.create(table, SCHEMA, true);
        w.append(rows(0, 10));
        awaitOp(create("lake.broken.t", "lake.broken.t", "TRIGGERED").path("name").asText());
        long good = w.version();
        List<Path> before = parquetFiles(table);
        w.append(rows(10, 20));
        List<Path> after = parquetFiles(table);
        after.removeAll(before);
        Path lost = after.get(0);
        Files.delete(lost); // a data file deleted outside Delta
        JsonNode failed = syncNow("lake.broken.t");
        assertThat(failed.has("error")).isTrue();
        JsonNode s = status("lake.broken.t");
        assertThat(s.path("detailed_state").asText()).isEqualTo("SYNCED_TABLE_ONLINE_PIPELINE_FAILED");
        assertThat(s.path("message").asText()).contains(lost.getFileName().toString()).contains("is missing").contains("Restore it")
                .contains("Postgres still serves Delta version " + good).doesNotContain("Exception").doesNotContain("io.delta");
        assertThat(s.path("last_processed_commit_version").asLong()).isEqualTo(good);
        assertThat(Sql.column(t, PRIMARY, "databricks_postgres", "SELECT count(*) FROM broken.t")).containsExactly("10");
    }

    static List<Path> parquetFiles(Path table) throws Exception {
        try (Stream<Path> files = Files.list(table)) {
            return new ArrayList<>(files.filter(p -> p.toString().endsWith(".parquet")).toList());
        }
    }

    @Test
    void aSnapshotResyncAcrossADroppedColumnStopsInsteadOfDroppingIt() throws Exception {
        Path table = lake.resolve("evolve").resolve("snap");
        DeltaTableWriter w = DeltaTableWriter.create(table, SCHEMA, false);
        w.append(rows(0, 5));
        awaitOp(create("lake.evolve.snap", "lake.evolve.snap", "SNAPSHOT").path("name").asText());
        long good = w.version();
        // overwriteSchema: the table now lacks "amount"
        w.changeSchema(new StructType().add("id", LongType.LONG).add("region", StringType.STRING).add("name", StringType.STRING)
                .add("ts", TimestampType.TIMESTAMP));
        syncNow("lake.evolve.snap");
        JsonNode s = status("lake.evolve.snap");
        assertThat(s.path("detailed_state").asText()).isEqualTo("SYNCED_TABLE_ONLINE_PIPELINE_FAILED");
        assertThat(s.path("message").asText()).contains("column amount was dropped").contains("Delta versions " + good + " and " + w.version())
                .contains("re-create the synced table");
        assertThat(Sql.column(t, PRIMARY, "databricks_postgres", "SELECT count(amount) FROM evolve.snap")).containsExactly("5");
    }

    @Test
    void refusalsNameTypesAsSqlDoesNotAsKernelObjects() throws Exception {
        Path variant = lake.resolve("odd").resolve("nested_variant");
        Files.createDirectories(variant.resolve("_delta_log"));
        String schema = "{\"type\":\"struct\",\"fields\":[{\"name\":\"id\",\"type\":\"long\",\"nullable\":true,\"metadata\":{}},"
                + "{\"name\":\"payload\",\"type\":{\"type\":\"struct\",\"fields\":[{\"name\":\"a\",\"type\":\"long\",\"nullable\":true,\"metadata\":{}},"
                + "{\"name\":\"v\",\"type\":\"variant\",\"nullable\":true,\"metadata\":{}}]},\"nullable\":true,\"metadata\":{}}]}";
        Files.writeString(variant.resolve("_delta_log").resolve("00000000000000000000.json"), String.join("\n",
                "{\"protocol\":{\"minReaderVersion\":3,\"minWriterVersion\":7,\"readerFeatures\":[\"variantType\"],\"writerFeatures\":[\"variantType\"]}}",
                "{\"metaData\":{\"id\":\"6f1c0f5e-0000-4000-8000-000000000002\",\"format\":{\"provider\":\"parquet\",\"options\":{}},\"schemaString\":"
                        + json.writeValueAsString(schema) + ",\"partitionColumns\":[],\"configuration\":{},\"createdTime\":1700000000000}}") + "\n");
        JsonNode refused = create("lake.odd.nv", "lake.odd.nested_variant", "SNAPSHOT");
        assertThat(refused.path("message").asText()).contains("payload struct<a:bigint,v:variant>").doesNotContain("StructField");
    }
}
