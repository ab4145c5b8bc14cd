package dev.oxbow.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.oxbow.sync.DeltaTableWriter;
import io.delta.kernel.types.LongType;
import io.delta.kernel.types.StringType;
import io.delta.kernel.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** SyncedTableSpec.create_database_objects_if_missing=true creates a missing Postgres database (it only covered the schema). */
class SyncedTableNewDatabaseTest {
    @RegisterExtension
    static final TestHomes homes = new TestHomes();
    private static final ObjectMapper json = new ObjectMapper();
    private static TestServer t;
    private static Path lake;

    @BeforeAll
    static void start() throws Exception {
        Path home = homes.newHome("sync-newdb");
        lake = home.resolve("lake");
        t = TestServer.start(TestServer.config(home).withCatalogs(Map.of("lake", lake)));
        t.awaitOperation(json.readTree(t.http("POST", "/api/2.0/postgres/projects?project_id=sync-newdb", "{}").body()).path("name").asText(),
                Duration.ofSeconds(90));
        DeltaTableWriter.create(lake.resolve("s").resolve("items"), new StructType().add("id", LongType.LONG).add("name", StringType.STRING), true)
                .append(List.of(new Object[]{1L, "one"}, new Object[]{2L, "two"}));
    }

    @AfterAll
    static void stop() {
        t.close();
    }

    static String spec(String database, String flag) {
        return "{\"spec\":{\"source_table_full_name\":\"lake.s.items\",\"primary_key_columns\":[\"id\"],\"scheduling_policy\":\"SNAPSHOT\","
                + "\"branch\":\"projects/sync-newdb/branches/production\",\"postgres_database\":\"" + database + "\"" + flag + "}}";
    }

    @Test
    void aMissingDatabaseIsCreatedWhenAskedAndRefusedOtherwise() throws Exception {
        var refused = t.http("POST", "/api/2.0/postgres/synced_tables?synced_table_id=lake.s.items_a", spec("appdb", ""));
        assertThat(refused.statusCode()).isEqualTo(404);
        assertThat(refused.body()).contains("appdb", "create_database_objects_if_missing");

        var started = t.http("POST", "/api/2.0/postgres/synced_tables?synced_table_id=lake.s.items_b",
                spec("appdb", ",\"create_database_objects_if_missing\":true"));
        assertThat(started.statusCode()).as(started.body()).isEqualTo(200);
        JsonNode op = t.awaitOperation(json.readTree(started.body()).path("name").asText(), Duration.ofSeconds(90));
        assertThat(op.has("error")).as(op.toString()).isFalse();
        String ep = "projects/sync-newdb/branches/production/endpoints/primary";
        assertThat(Sql.column(t, ep, "appdb", "SELECT name FROM s.items_b ORDER BY id")).containsExactly("one", "two");
        JsonNode databases = json.readTree(t.http("GET", "/api/2.0/postgres/projects/sync-newdb/branches/production/databases", null).body());
        assertThat(databases.path("databases").findValuesAsText("postgres_database")).contains("appdb");
        assertThat(Sql.column(t, ep, "postgres", "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'appdb'"))
                .containsExactly("admin@oxbow.local");
    }
}
