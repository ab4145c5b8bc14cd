package dev.oxbow.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.oxbow.cli.CliFixture.Run;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static dev.oxbow.cli.CliFixture.oxbow;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Databricks CLI's root flags and output conventions on {@code oxbow postgres} (api-gaps §1 #14, #18–#20):
 * -p/--profile from ~/.databrickscfg, --debug and the hidden --log-* flags, -t, -o text printing JSON, --help exit 0,
 * --timeout defaulting to no limit.
 */
@ExtendWith(SharedServerExtension.class)
class GlobalFlagsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void profilesPickTheServerAndTheirErrorsNameTheFix(SharedServer shared, @TempDir Path dir) throws Exception {
        Path cfg = dir.resolve("databrickscfg");
        Files.writeString(cfg, """
                ; a Databricks config file with two profiles
                [DEFAULT]
                host = http://127.0.0.1:9
                token = dapi-wrong

                [oxbow-local]
                host  = %s
                token = %s
                [no-token]
                host = %s
                """.formatted(shared.server().baseUrl(), shared.adminToken(), shared.server().baseUrl()));
        // nothing else names the server: without the profile the client would use the (absent) local credentials file
        Map<String, String> env = Map.of("DATABRICKS_CONFIG_FILE", cfg.toString(), "OXBOW_HOME", dir.resolve("none").toString());
        Run listed = oxbow(env, "postgres", "list-projects", "-p", "oxbow-local");
        assertThat(listed.exit()).as(listed.stderr()).isZero();
        assertThat(JSON.readTree(listed.stdout()).isArray()).isTrue();
        // before the subcommand too, and from DATABRICKS_CONFIG_PROFILE
        assertThat(oxbow(env, "--profile", "oxbow-local", "postgres", "list-projects").exit()).isZero();
        Map<String, String> byVariable = Map.of("DATABRICKS_CONFIG_FILE", cfg.toString(), "DATABRICKS_CONFIG_PROFILE", "oxbow-local",
                "OXBOW_HOME", dir.resolve("none").toString());
        assertThat(oxbow(byVariable, "postgres", "list-projects").exit()).isZero();

        Run missing = oxbow(env, "postgres", "list-projects", "-p", "staging");
        assertThat(missing.exit()).isEqualTo(1);
        assertThat(missing.stderr()).contains("profile 'staging' is not in " + cfg).contains("oxbow-local").doesNotContain(shared.adminToken());
        Run incomplete = oxbow(env, "postgres", "list-projects", "-p", "no-token");
        assertThat(incomplete.exit()).isEqualTo(1);
        assertThat(incomplete.stderr()).contains("needs both host and token");
        // the DEFAULT profile's wrong server is never used unless asked for
        Run local = oxbow(Map.of("DATABRICKS_CONFIG_FILE", cfg.toString(), "OXBOW_HOST", shared.server().baseUrl(),
                "OXBOW_HOME", shared.home().toString()), "postgres", "list-projects");
        assertThat(local.exit()).as(local.stderr()).isZero();
    }

    @Test
    void debugLogsEachCallWithoutTheToken(SharedServer shared, @TempDir Path dir) throws Exception {
        Map<String, String> env = Map.of("OXBOW_HOST", shared.server().baseUrl(), "OXBOW_TOKEN", shared.adminToken());
        Run debug = oxbow(env, "postgres", "list-projects", "--debug", "-t", "dev");
        assertThat(debug.exit()).as(debug.stderr()).isZero();
        assertThat(debug.stderr()).contains("level=DEBUG").contains("GET /api/2.0/postgres/projects").contains("status=200")
                .doesNotContain(shared.adminToken());
        assertThat(JSON.readTree(debug.stdout()).isArray()).isTrue();

        Path log = dir.resolve("cli.log");
        Run toFile = oxbow(env, "postgres", "get-project", "projects/nope", "--log-level", "DEBUG", "--log-file", log.toString(),
                "--log-format", "json");
        assertThat(toFile.exit()).isEqualTo(1);
        assertThat(toFile.stderr()).startsWith("Error: ").doesNotContain("level=");
        JsonNode line = JSON.readTree(Files.readAllLines(log).getLast());
        assertThat(line.path("level").asText()).isEqualTo("DEBUG");
        assertThat(line.path("method").asText()).isEqualTo("GET");
        assertThat(line.path("path").asText()).isEqualTo("/api/2.0/postgres/projects/nope");
        assertThat(line.path("status").asInt()).isEqualTo(404);
        assertThat(Files.readString(log)).doesNotContain(shared.adminToken());

        // a credential's token is in the output, never in the log
        oxbow(env, "postgres", "create-project", "flags-log");
        Run credential = oxbow(env, "postgres", "generate-database-credential", "projects/flags-log/branches/production/endpoints/primary", "--debug");
        String token = JSON.readTree(credential.stdout()).path("token").asText();
        assertThat(token).isNotBlank();
        assertThat(credential.stderr()).contains("POST").doesNotContain(token);
        assertThat(oxbow(env, "postgres", "delete-project", "projects/flags-log", "--purge").exit()).isZero();

        Run quiet = oxbow(env, "postgres", "list-projects");
        assertThat(quiet.stderr()).isEmpty();
        Run badLevel = oxbow(env, "postgres", "list-projects", "--log-level", "loud");
        assertThat(badLevel.exit()).isEqualTo(2);
        assertThat(badLevel.stderr()).contains("--log-level").contains("loud");
    }

    @Test
    void outputHelpAndTimeoutFollowTheDatabricksCli(SharedServer shared) throws Exception {
        Map<String, String> env = Map.of("OXBOW_HOST", shared.server().baseUrl(), "OXBOW_TOKEN", shared.adminToken());
        // -o text is the default and prints JSON; -o table is Oxbow's table; DATABRICKS_OUTPUT_FORMAT sets the default
        Run text = oxbow(env, "postgres", "list-projects", "-o", "text");
        assertThat(JSON.readTree(text.stdout()).isArray()).isTrue();
        assertThat(oxbow(env, "postgres", "list-projects", "-o", "table").stdout()).startsWith("NAME");
        Map<String, String> tableByDefault = Map.of("OXBOW_HOST", shared.server().baseUrl(), "OXBOW_TOKEN", shared.adminToken(),
                "DATABRICKS_OUTPUT_FORMAT", "table");
        assertThat(oxbow(tableByDefault, "postgres", "list-projects").stdout()).startsWith("NAME");
        assertThat(oxbow(env, "postgres", "list-projects", "-o", "yaml").stderr()).contains("use text, json or table");

        for (String help : new String[] {"--help", "-h"}) {
            Run usage = oxbow(env, "postgres", "get-project", help);
            assertThat(usage.exit()).as(help).isZero();
            assertThat(usage.stdout()).contains("Usage: oxbow postgres get-project").contains("--profile").contains("--debug");
        }
        Run createHelp = oxbow(env, "postgres", "create-branch", "--help");
        assertThat(createHelp.exit()).isZero();
        assertThat(createHelp.stdout()).contains("--timeout").contains("(default 0:");
        assertThat(oxbow(env, "users", "list", "--help").exit()).isZero();
    }
}
