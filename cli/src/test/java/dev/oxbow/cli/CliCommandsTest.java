package dev.oxbow.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.oxbow.server.OxbowServer;
import dev.oxbow.server.ServerConfig;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The launcher run as a subprocess against a real server: psql with a fresh credential, identity commands, errors. */
class CliCommandsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void identityCommandsDriveTheApiAndFailWithItsMessage() throws Exception {
        Path home = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "oxbow-cli-id-");
        Path pg = Path.of(System.getProperty("java.io.tmpdir"), "oxbow-test-pg");
        try (OxbowServer server = OxbowServer.start(ServerConfig.defaults(home).withApiPort(0).withPg("127.0.0.1", 0).withPgBinaries(pg))) {
            Map<String, String> env = Map.of("OXBOW_HOST", server.baseUrl(), "OXBOW_TOKEN", server.adminToken(), "OXBOW_HOME", home.toString());
            Result created = oxbow(env, "users", "create", "carol@example.com");
            assertThat(created.exit()).as(created.output()).isZero();
            assertThat(JSON.readTree(created.output()).path("userName").asText()).isEqualTo("carol@example.com");
            Result token = oxbow(env, "tokens", "create-for", "carol@example.com", "--lifetime", "1d", "--comment", "cli");
            assertThat(token.exit()).as(token.output()).isZero();
            String carolToken = JSON.readTree(token.output()).path("token_value").asText();
            long expiry = JSON.readTree(token.output()).path("token_info").path("expiry_time").asLong();
            assertThat(expiry - System.currentTimeMillis()).isBetween(86_000_000L, 86_500_000L);
            Result mine = oxbow(Map.of("OXBOW_HOST", server.baseUrl(), "OXBOW_TOKEN", carolToken, "OXBOW_HOME", home.toString()), "tokens", "list");
            assertThat(JSON.readTree(mine.output()).path("token_infos")).hasSize(1);

            Result duplicate = oxbow(env, "users", "create", "carol@example.com");
            assertThat(duplicate.exit()).isNotZero();
            assertThat(duplicate.output()).contains("RESOURCE_ALREADY_EXISTS").doesNotContain("Exception");
            Result badLevel = oxbow(env, "permissions", "grant", "nope", "carol@example.com", "CAN_EVERYTHING");
            assertThat(badLevel.exit()).isNotZero();
            assertThat(badLevel.output()).contains("NOT_FOUND");
            Result badDuration = oxbow(env, "tokens", "create", "--lifetime", "soon");
            assertThat(badDuration.exit()).isNotZero();
            assertThat(badDuration.output()).contains("Invalid duration");
        }
    }

    @Test
    void psqlConnectsThroughTheProxyWithAFreshCredential() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/psql")), "psql not installed (scripts/setup --for-tests installs it)");
        Path home = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "oxbow-cli-");
        Path pg = Path.of(System.getProperty("java.io.tmpdir"), "oxbow-test-pg");
        try (OxbowServer server = OxbowServer.start(ServerConfig.defaults(home).withApiPort(0).withPg("127.0.0.1", 0).withPgBinaries(pg))) {
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

            Result ok = oxbow(env, "psql", "projects/cli/branches/production/endpoints/primary", "--", "-XAtc", "SELECT current_user");
            assertThat(ok.output()).isEqualTo("admin@oxbow.local");
            assertThat(ok.exit()).isZero();

            Result missing = oxbow(env, "psql", "projects/cli/branches/production/endpoints/nope");
            assertThat(missing.exit()).isNotZero();
            assertThat(missing.output()).contains("NOT_FOUND").doesNotContain("Exception");
        }
    }

    record Result(int exit, String output) {}

    private static Result oxbow(Map<String, String> env, String... args) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new java.util.ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"), OxbowCommand.class.getName()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes()).strip();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Result(p.exitValue(), out.lines().filter(l -> !l.contains("WARNING") && !l.contains(" INFO ")).reduce((a, b) -> a + "\n" + b).orElse(""));
    }
}
