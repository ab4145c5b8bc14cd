package dev.oxbow.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.oxbow.cli.CliFixture.Run;
import dev.oxbow.server.OxbowServer;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static dev.oxbow.cli.CliFixture.oxbow;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The launcher run as a subprocess against a real server: psql with a fresh credential, identity commands, errors. */
class CliCommandsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void identityCommandsDriveTheApiAndFailWithItsMessage() throws Exception {
        Path home = CliFixture.home("oxbow-cli-id-");
        try (OxbowServer server = CliFixture.start(home, Map.of())) {
            Map<String, String> env = Map.of("OXBOW_HOST", server.baseUrl(), "OXBOW_TOKEN", server.adminToken(), "OXBOW_HOME", home.toString());
            Run created = oxbow(env, "users", "create", "carol@example.com");
            assertThat(created.exit()).as(created.output()).isZero();
            assertThat(JSON.readTree(created.output()).path("userName").asText()).isEqualTo("carol@example.com");
            Run token = oxbow(env, "tokens", "create-for", "carol@example.com", "--lifetime", "1d", "--comment", "cli");
            assertThat(token.exit()).as(token.output()).isZero();
            String carolToken = JSON.readTree(token.output()).path("token_value").asText();
            long expiry = JSON.readTree(token.output()).path("token_info").path("expiry_time").asLong();
            assertThat(expiry - System.currentTimeMillis()).isBetween(86_000_000L, 86_500_000L);
            Run mine = oxbow(Map.of("OXBOW_HOST", server.baseUrl(), "OXBOW_TOKEN", carolToken, "OXBOW_HOME", home.toString()), "tokens", "list");
            assertThat(JSON.readTree(mine.output()).path("token_infos")).hasSize(1);

            Run duplicate = oxbow(env, "users", "create", "carol@example.com");
            assertThat(duplicate.exit()).isNotZero();
            assertThat(duplicate.output()).contains("RESOURCE_ALREADY_EXISTS").doesNotContain("Exception");
            Run badLevel = oxbow(env, "permissions", "grant", "nope", "carol@example.com", "CAN_EVERYTHING");
            assertThat(badLevel.exit()).isNotZero();
            assertThat(badLevel.output()).contains("NOT_FOUND");
            Run badDuration = oxbow(env, "tokens", "create", "--lifetime", "soon");
            assertThat(badDuration.exit()).isNotZero();
            assertThat(badDuration.output()).contains("Invalid duration");
        }
    }

    @Test
    void psqlConnectsThroughTheProxyWithAFreshCredential() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/psql")), "psql not installed (scripts/setup --for-tests installs it)");
        Path home = CliFixture.home("oxbow-cli-");
        try (OxbowServer server = CliFixture.start(home, Map.of())) {
            String token = server.adminToken();
            HttpClient http = HttpClient.newHttpClient();
            String op = JSON.readTree(http.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/api/2.0/postgres/projects?project_id=cli"))
                    .header("Authorization", "Bearer " + token).POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
                    HttpResponse.BodyHandlers.ofString()).body()).path("name").asText();
            while (!JSON.readTree(http.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/api/2.0/postgres/" + op))
                    .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString()).body()).path("done").asBoolean()) {
                Thread.sleep(50);
            }
            Map<String, String> env = Map.of("OXBOW_HOST", server.baseUrl(), "OXBOW_TOKEN", token,
                    "OXBOW_PG_PORT", Integer.toString(server.pgPort()), "OXBOW_HOME", home.toString());

            Run ok = oxbow(env, "psql", "projects/cli/branches/production/endpoints/primary", "--", "-XAtc", "SELECT current_user");
            assertThat(ok.output()).isEqualTo("admin@oxbow.local");
            assertThat(ok.exit()).isZero();

            Run missing = oxbow(env, "psql", "projects/cli/branches/production/endpoints/nope");
            assertThat(missing.exit()).isNotZero();
            assertThat(missing.output()).contains("NOT_FOUND").doesNotContain("Exception");
        }
    }
}
