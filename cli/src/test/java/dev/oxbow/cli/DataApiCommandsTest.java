package dev.oxbow.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.oxbow.cli.CliFixture.Run;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.Map;

import static dev.oxbow.cli.CliFixture.oxbow;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code oxbow postgres create/get/update/delete-data-api}, named as in the Databricks CLI, against a real server. */
@ExtendWith(SharedServerExtension.class)
class DataApiCommandsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String DB = "projects/cli-dapi/branches/production/databases/databricks-postgres";

    @Test
    void dataApiCommands(SharedServer shared) throws Exception {
        Map<String, String> env = Map.of("OXBOW_HOST", shared.server().baseUrl(), "OXBOW_HOME", shared.home().toString());
        ok(env, "postgres", "create-project", "cli-dapi");
        JsonNode created = ok(env, "postgres", "create-data-api", DB, "--json", "{\"spec\":{\"db_schemas\":[\"public\"],\"db_max_rows\":10}}");
        assertThat(created.path("name").asText()).isEqualTo(DB + "/data-api");
        assertThat(created.path("status").path("url").asText()).endsWith("/api/2.0/oxbow/data-api/cli-dapi/production/databricks-postgres/");
        assertThat(ok(env, "postgres", "get-data-api", DB + "/data-api").path("status").path("db_max_rows").asLong()).isEqualTo(10);
        JsonNode updated = ok(env, "postgres", "update-data-api", DB + "/data-api", "spec.db_max_rows", "--json", "{\"spec\":{\"db_max_rows\":5}}");
        assertThat(updated.path("status").path("db_max_rows").asLong()).isEqualTo(5);
        Run refused = oxbow(env, "postgres", "update-data-api", DB + "/data-api", "spec.jwt_role_claim_key", "--json",
                "{\"spec\":{\"jwt_role_claim_key\":\".role\"}}");
        assertThat(refused.exit()).isEqualTo(1);
        assertThat(refused.stderr()).contains("spec.jwt_role_claim_key");
        Run deleted = oxbow(env, "postgres", "delete-data-api", DB + "/data-api");
        assertThat(deleted.exit()).as(deleted.stderr()).isZero();
        assertThat(oxbow(env, "postgres", "get-data-api", DB + "/data-api").exit()).isEqualTo(1);
    }

    private static JsonNode ok(Map<String, String> env, String... args) throws Exception {
        Run r = oxbow(env, args);
        assertThat(r.exit()).as(String.join(" ", args) + ": " + r.stderr()).isZero();
        return JSON.readTree(r.stdout());
    }
}
