package dev.oxbow.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.oxbow.cli.CliFixture.Run;
import dev.oxbow.sync.DeltaTableWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import static dev.oxbow.cli.CliFixture.oxbow;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code oxbow postgres …} run in-process against a real server: stdout is the API's JSON, errors go to stderr with a non-zero exit. */
@ExtendWith(SharedServerExtension.class)
class PostgresCommandsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void postgresCommandsMirrorTheDatabricksCli(SharedServer shared) throws Exception {
        DeltaTableWriter orders = SyncFixtures.lakeOrders(shared.lake(), "shop", 40);
        // no OXBOW_TOKEN: the local credentials file under OXBOW_HOME is found, as on the server's machine
        Map<String, String> env = Map.of("OXBOW_HOST", shared.server().baseUrl(), "OXBOW_HOME", shared.home().toString());

        JsonNode positional = ok(env, "postgres", "create-project", "cli-a", "--json", "{\"spec\":{\"display_name\":\"A\",\"pg_version\":\"16\"}}");
        assertThat(positional.path("name").asText()).isEqualTo("projects/cli-a");
        assertThat(positional.path("status").path("pg_version").asInt()).isEqualTo(16);
        JsonNode flag = ok(env, "postgres", "create-project", "--project-id", "cli-b");
        assertThat(flag.path("name").asText()).isEqualTo("projects/cli-b");
        assertThat(ok(env, "postgres", "get-project", "projects/cli-a").path("status").path("display_name").asText()).isEqualTo("A");

        JsonNode list = ok(env, "postgres", "list-projects", "--page-size", "1");
        assertThat(list.isArray()).isTrue();
        assertThat(list.findValuesAsText("name")).contains("projects/cli-a", "projects/cli-b");
        Run table = oxbow(env, "postgres", "list-projects", "-o", "table");
        assertThat(table.exit()).isZero();
        assertThat(table.stdout().lines().findFirst().orElse("")).startsWith("NAME").contains("DISPLAY NAME");
        assertThat(table.stdout()).contains("projects/cli-a").contains("projects/cli-b");

        JsonNode renamed = ok(env, "postgres", "update-project", "projects/cli-a", "spec.display_name", "--json", "{\"spec\":{\"display_name\":\"Renamed\"}}");
        assertThat(renamed.path("status").path("display_name").asText()).isEqualTo("Renamed");

        JsonNode branch = ok(env, "postgres", "create-branch", "projects/cli-a", "dev", "--ttl", "7d");
        Instant expires = Instant.parse(branch.path("status").path("expire_time").asText());
        assertThat(Duration.between(Instant.now(), expires).toHours()).isBetween(166L, 168L);
        assertThat(ok(env, "postgres", "list-branches", "projects/cli-a").findValuesAsText("name"))
                .containsExactlyInAnyOrder("projects/cli-a/branches/production", "projects/cli-a/branches/dev");
        assertThat(oxbow(env, "postgres", "list-branches", "projects/cli-a", "--output", "table").stdout()).contains("STATE").contains("READY");

        // Oxbow extensions: reset from the parent, restore in place (the previous state kept as a branch)
        JsonNode reset = ok(env, "postgres", "reset-branch", "projects/cli-a/branches/dev");
        assertThat(reset.path("name").asText()).isEqualTo("projects/cli-a/branches/dev");
        assertThat(reset.path("status").path("current_state").asText()).isEqualTo("READY");
        Instant point = Instant.now();
        Thread.sleep(50);
        JsonNode restored = ok(env, "postgres", "restore-branch", "projects/cli-a/branches/dev", "--time", point.toString());
        assertThat(restored.path("status").path("current_state").asText()).isEqualTo("READY");
        assertThat(ok(env, "postgres", "list-branches", "projects/cli-a").findValuesAsText("name"))
                .anyMatch(n -> n.startsWith("projects/cli-a/branches/dev_old_"));
        Run rootRestore = oxbow(env, "postgres", "restore-branch", "projects/cli-a/branches/production", "--time", point.toString());
        assertThat(rootRestore.exit()).isEqualTo(1);
        assertThat(rootRestore.stderr()).startsWith("Error: ").contains("root branch");

        String primary = "projects/cli-a/branches/dev/endpoints/primary";
        JsonNode resized = ok(env, "postgres", "update-endpoint", primary, "spec.autoscaling_limit_min_cu,spec.autoscaling_limit_max_cu",
                "--json", "{\"spec\":{\"autoscaling_limit_min_cu\":1,\"autoscaling_limit_max_cu\":2}}");
        assertThat(resized.path("status").path("autoscaling_limit_max_cu").asDouble()).isEqualTo(2.0);
        assertThat(ok(env, "postgres", "get-endpoint", primary).path("status").path("autoscaling_limit_min_cu").asDouble()).isEqualTo(1.0);
        assertThat(ok(env, "postgres", "list-endpoints", "projects/cli-a/branches/dev").findValuesAsText("name")).contains(primary);

        JsonNode cred = ok(env, "postgres", "generate-database-credential", primary, "--ttl", "15m");
        assertThat(cred.path("token").asText()).isNotBlank();
        assertThat(Duration.between(Instant.now(), Instant.parse(cred.path("expire_time").asText())).toMinutes()).isBetween(13L, 15L);

        // --no-wait prints the operation; get-operation follows it to done
        JsonNode op = ok(env, "postgres", "create-endpoint", "projects/cli-a/branches/dev", "reader", "--no-wait",
                "--json", "{\"spec\":{\"endpoint_type\":\"ENDPOINT_TYPE_READ_ONLY\"}}");
        assertThat(op.path("name").asText()).contains("/operations/");
        JsonNode polled = ok(env, "postgres", "get-operation", op.path("name").asText());
        while (!polled.path("done").asBoolean()) {
            Thread.sleep(100);
            polled = ok(env, "postgres", "get-operation", op.path("name").asText());
        }
        assertThat(polled.path("response").path("name").asText()).isEqualTo("projects/cli-a/branches/dev/endpoints/reader");

        JsonNode role = ok(env, "postgres", "create-role", "projects/cli-a/branches/dev", "--role-id", "app-reader",
                "--json", "{\"spec\":{\"postgres_role\":\"app_reader\",\"auth_method\":\"PG_PASSWORD_SCRAM_SHA_256\"}}");
        assertThat(role.path("name").asText()).isEqualTo("projects/cli-a/branches/dev/roles/app-reader");
        JsonNode db = ok(env, "postgres", "create-database", "projects/cli-a/branches/dev", "--database-id", "shop",
                "--json", "{\"spec\":{\"postgres_database\":\"shop\",\"role\":\"projects/cli-a/branches/dev/roles/app-reader\"}}");
        assertThat(db.path("status").path("postgres_database").asText()).isEqualTo("shop");
        assertThat(oxbow(env, "postgres", "list-databases", "projects/cli-a/branches/dev", "-o", "table").stdout()).contains("shop");
        assertThat(ok(env, "postgres", "list-roles", "projects/cli-a/branches/dev").findValuesAsText("name"))
                .contains("projects/cli-a/branches/dev/roles/app-reader");

        // Oxbow extension: diff-branches, as text and JSON; the role made above on dev only is a difference
        Run diffText = oxbow(env, "postgres", "diff-branches", "projects/cli-a/branches/dev", "--against", "production");
        assertThat(diffText.exit()).as(diffText.stderr()).isZero();
        assertThat(diffText.stdout()).contains("CREATE ROLE \"app_reader\" ").contains("-- rows: 0 tables compared, 0 differ");
        JsonNode diff = ok(env, "postgres", "diff-branches", "projects/cli-a/branches/dev", "--against", "production", "--schema-only", "--json");
        assertThat(diff.path("schema").path("changes").findValuesAsText("object")).contains("app_reader");
        Run badDiff = oxbow(env, "postgres", "diff-branches", "projects/cli-a/branches/dev", "--against", "nope");
        assertThat(badDiff.exit()).isEqualTo(1);
        assertThat(badDiff.stderr()).startsWith("Error: ").contains("projects/cli-a/branches/nope");

        // deletes print nothing and leave nothing behind
        Run deleted = oxbow(env, "postgres", "delete-branch", "projects/cli-a/branches/dev");
        assertThat(deleted.exit()).as(deleted.stderr()).isZero();
        assertThat(deleted.stdout()).isEmpty();
        // a soft-deleted branch stays readable by name (with its delete time) until purged, as in Databricks
        assertThat(ok(env, "postgres", "get-branch", "projects/cli-a/branches/dev").path("status").path("current_state").asText()).isEqualTo("DELETED");
        assertThat(oxbow(env, "postgres", "delete-project", "projects/cli-b", "--purge").exit()).isZero();
        assertThat(ok(env, "postgres", "list-projects").findValuesAsText("name")).doesNotContain("projects/cli-b");

        // bad input: the API's message on stderr, nothing on stdout, non-zero exit
        Run missing = oxbow(env, "postgres", "get-project", "projects/nope");
        assertThat(missing.exit()).isEqualTo(1);
        assertThat(missing.stdout()).isEmpty();
        assertThat(missing.stderr()).startsWith("Error: ").contains("not found").doesNotContain("Exception");
        Run badId = oxbow(env, "postgres", "create-project", "Bad_Id");
        assertThat(badId.exit()).isEqualTo(1);
        assertThat(badId.stderr()).contains("must match pattern");
        Run duplicate = oxbow(env, "postgres", "create-project", "cli-a");
        assertThat(duplicate.exit()).isEqualTo(1);
        assertThat(duplicate.stderr()).contains("already exists");
        Run badMask = oxbow(env, "postgres", "update-project", "projects/cli-a", "spec.nonsense", "--json", "{\"spec\":{}}");
        assertThat(badMask.exit()).isNotZero();
        assertThat(badMask.stderr()).startsWith("Error: ");
        Run badTtl = oxbow(env, "postgres", "create-branch", "projects/cli-a", "x", "--ttl", "soon");
        assertThat(badTtl.exit()).isEqualTo(1);
        assertThat(badTtl.stderr()).contains("Invalid duration 'soon'");
        Run badJson = oxbow(env, "postgres", "create-project", "cli-c", "--json", "{nope");
        assertThat(badJson.exit()).isEqualTo(1);
        assertThat(badJson.stderr()).contains("Invalid --json");
        Run noId = oxbow(env, "postgres", "create-project");
        assertThat(noId.exit()).isNotZero();
        assertThat(noId.stderr()).contains("PROJECT_ID");
        Run noArgs = oxbow(env, "postgres", "create-branch", "projects/cli-a");
        assertThat(noArgs.exit()).isEqualTo(2);
        assertThat(noArgs.stderr()).contains("BRANCH_ID");

        // synced tables: create (waits for the initial load), get, delete --purge-data; the rows in between are in Postgres
        String spec = "{\"spec\":{\"source_table_full_name\":\"lake.shop.orders\",\"primary_key_columns\":[\"id\"],"
                + "\"scheduling_policy\":\"SNAPSHOT\",\"branch\":\"projects/cli-a/branches/production\",\"postgres_database\":\"databricks_postgres\"}}";
        JsonNode synced = ok(env, "postgres", "create-synced-table", "lake.shop.orders_copy", "--json", spec);
        assertThat(synced.path("name").asText()).isEqualTo("synced_tables/lake.shop.orders_copy");
        assertThat(synced.path("spec").path("scheduling_policy").asText()).isEqualTo("SNAPSHOT");
        JsonNode got = ok(env, "postgres", "get-synced-table", "synced_tables/lake.shop.orders_copy");
        assertThat(got.path("spec").path("source_table_full_name").asText()).isEqualTo("lake.shop.orders");
        assertThat(got.path("status").path("detailed_state").asText()).isEqualTo("SYNCED_TABLE_ONLINE_NO_PENDING_UPDATE");
        assertThat(got.path("status").path("last_processed_commit_version").asLong()).isEqualTo(orders.version());
        String production = "projects/cli-a/branches/production/endpoints/primary";
        assertThat(SyncFixtures.rows(shared.server(), production, "SELECT id, name, amount FROM shop.orders_copy ORDER BY id"))
                .containsExactlyElementsOf(SyncFixtures.orderRows(0, 40));
        Run unsynced = oxbow(env, "postgres", "delete-synced-table", "lake.shop.orders_copy", "--purge-data");
        assertThat(unsynced.exit()).as(unsynced.stderr()).isZero();
        assertThat(unsynced.stdout()).isEmpty();
        Run gone = oxbow(env, "postgres", "get-synced-table", "lake.shop.orders_copy");
        assertThat(gone.exit()).isEqualTo(1);
        assertThat(gone.stderr()).startsWith("Error: ").contains("not found");
        assertThat(SyncFixtures.rows(shared.server(), production, "SELECT to_regclass('shop.orders_copy') IS NULL")).containsExactly("t");
        Run unknownCatalog = oxbow(env, "postgres", "create-synced-table", "lake.shop.other", "--json", spec.replace("lake.shop.orders", "nope.shop.orders"));
        assertThat(unknownCatalog.exit()).isEqualTo(1);
        assertThat(unknownCatalog.stdout()).isEmpty();
        assertThat(unknownCatalog.stderr()).startsWith("Error: ").contains("Catalog 'nope' is not configured").doesNotContain("Exception");
        assertThat(oxbow(env, "postgres", "get-synced-table", "lake.shop.other").exit()).isEqualTo(1);

        // change feeds: an unknown schema is refused; the synced table's schema is fed into lake.cli_feed, listed, deleted
        String database = "projects/cli-a/branches/production/databases/databricks-postgres";
        Run noSchema = oxbow(env, "postgres", "create-cdf-config", database, "lake", "cli_feed", "nope");
        assertThat(noSchema.exit()).isEqualTo(1);
        assertThat(noSchema.stderr()).startsWith("Error: ").contains("Postgres schema 'nope' does not exist");
        JsonNode feed = ok(env, "postgres", "create-cdf-config", database, "lake", "cli_feed", "shop", "--cdf-config-id", "cli_feed");
        assertThat(feed.path("name").asText()).isEqualTo(database + "/cdf-configs/cli_feed");
        assertThat(feed.path("postgres_schema").asText()).isEqualTo("shop");
        assertThat(ok(env, "postgres", "list-cdf-configs", database).findValuesAsText("name")).containsExactly(database + "/cdf-configs/cli_feed");
        assertThat(ok(env, "postgres", "list-cdf-statuses", database + "/cdf-configs/cli_feed").isArray()).isTrue();
        Run unfed = oxbow(env, "postgres", "delete-cdf-config", database + "/cdf-configs/cli_feed");
        assertThat(unfed.exit()).as(unfed.stderr()).isZero();
        assertThat(ok(env, "postgres", "list-cdf-configs", database).size()).isZero();

        // catalogs: create (the database made on demand), get, delete; the database stays
        JsonNode catalog = ok(env, "postgres", "create-catalog", "cli_a_shop", "--json",
                "{\"spec\":{\"branch\":\"projects/cli-a/branches/production\",\"postgres_database\":\"shopcat\",\"create_database_if_missing\":true}}");
        assertThat(catalog.path("name").asText()).isEqualTo("catalogs/cli_a_shop");
        assertThat(catalog.path("status").path("postgres_database").asText()).isEqualTo("shopcat");
        assertThat(ok(env, "postgres", "get-catalog", "cli_a_shop").path("status").path("branch").asText())
                .isEqualTo("projects/cli-a/branches/production");
        Run uncataloged = oxbow(env, "postgres", "delete-catalog", "catalogs/cli_a_shop");
        assertThat(uncataloged.exit()).as(uncataloged.stderr()).isZero();
        Run catalogGone = oxbow(env, "postgres", "get-catalog", "cli_a_shop");
        assertThat(catalogGone.exit()).isEqualTo(1);
        assertThat(catalogGone.stderr()).startsWith("Error: ").contains("not found");
        assertThat(SyncFixtures.rows(shared.server(), production, "SELECT count(*) FROM pg_database WHERE datname = 'shopcat'")).containsExactly("1");

        Run completion = oxbow(env, "completion");
        assertThat(completion.exit()).isZero();
        assertThat(completion.stdout()).contains("complete").contains("create-project").contains("generate-database-credential");
    }

    private static JsonNode ok(Map<String, String> env, String... args) throws Exception {
        Run r = oxbow(env, args);
        assertThat(r.exit()).as(String.join(" ", args) + ": " + r.stderr()).isZero();
        return JSON.readTree(r.stdout());
    }
}
