package dev.oxbow.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.oxbow.cli.CliFixture.Run;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.Map;

import static dev.oxbow.cli.CliFixture.oxbow;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code oxbow postgres set-masking-rules / get-masking-rules} and {@code create-branch --masked} against a real server. */
@ExtendWith(SharedServerExtension.class)
class MaskingCommandsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void rulesAreSetAndReadAndTheMaskedFlagReachesTheServer(SharedServer shared) throws Exception {
        Map<String, String> env = Map.of("OXBOW_HOST", shared.server().baseUrl(), "OXBOW_HOME", shared.home().toString());
        assertThat(oxbow(env, "postgres", "create-project", "cli-mask").exit()).isZero();

        // the flag is sent: the server refuses it while the project has no rules (before any data is copied)
        Run early = oxbow(env, "postgres", "create-branch", "projects/cli-mask", "dev", "--no-expiry", "--masked");
        assertThat(early.exit()).isNotZero();
        assertThat(early.output()).contains("spec.masked").contains("no masking rules");

        Run set = oxbow(env, "postgres", "set-masking-rules", "projects/cli-mask",
                "--rule", "databricks_postgres.public.users.email=fake_email", "--rule", "databricks_postgres.public.users.ssn=null");
        assertThat(set.exit()).as(set.stderr()).isZero();
        JsonNode got = JSON.readTree(oxbow(env, "postgres", "get-masking-rules", "cli-mask").stdout());
        assertThat(got.path("rules").findValuesAsText("action")).containsExactly("fake_email", "null");
        assertThat(got.path("rules").get(0).path("table").asText()).isEqualTo("users");

        Run badAction = oxbow(env, "postgres", "set-masking-rules", "projects/cli-mask", "--rule", "databricks_postgres.public.users.email=scramble");
        assertThat(badAction.exit()).isNotZero();
        assertThat(badAction.output()).contains("rules[0].action");
        Run badShape = oxbow(env, "postgres", "set-masking-rules", "projects/cli-mask", "--rule", "users.email=hash");
        assertThat(badShape.exit()).isNotZero();
        assertThat(badShape.output()).contains("DATABASE.SCHEMA.TABLE.COLUMN=ACTION");
        assertThat(JSON.readTree(oxbow(env, "postgres", "get-masking-rules", "cli-mask").stdout()).path("rules")).hasSize(2);
        oxbow(env, "postgres", "delete-project", "projects/cli-mask", "--purge");
    }
}
