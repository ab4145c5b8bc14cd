package dev.oxbow.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.oxbow.cli.CliFixture.Run;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.Map;

import static dev.oxbow.cli.CliFixture.oxbow;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Forms of the Databricks CLI's {@code postgres} commands (cmd/workspace/postgres/postgres.go) Oxbow refused: the
 * credential's endpoint from --json (no positional then), --name on creates and updates, the hidden --page-token.
 */
@ExtendWith(SharedServerExtension.class)
class DatabricksCliParityTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode ok(Map<String, String> env, String... args) throws Exception {
        Run r = oxbow(env, args);
        assertThat(r.exit()).as(String.join(" ", args) + "\n" + r.stderr()).isZero();
        return JSON.readTree(r.stdout());
    }

    @Test
    void theDatabricksFormsWork(SharedServer shared) throws Exception {
        Map<String, String> env = Map.of("OXBOW_HOST", shared.server().baseUrl(), "OXBOW_HOME", shared.home().toString());
        // --name is accepted on creates and updates (the name is output only; the server derives it)
        JsonNode project = ok(env, "postgres", "create-project", "cli-parity", "--name", "projects/cli-parity");
        assertThat(project.path("name").asText()).isEqualTo("projects/cli-parity");
        ok(env, "postgres", "update-project", "projects/cli-parity", "spec.display_name", "--name", "projects/cli-parity",
                "--json", "{\"spec\":{\"display_name\":\"Parity\"}}");
        String ep = "projects/cli-parity/branches/production/endpoints/primary";

        JsonNode credential = ok(env, "postgres", "generate-database-credential", "--json", "{\"endpoint\":\"" + ep + "\",\"ttl\":\"900s\"}");
        assertThat(credential.path("token").asText()).isNotBlank();
        assertThat(ok(env, "postgres", "generate-database-credential", ep).path("token").asText()).isNotBlank();
        Run both = oxbow(env, "postgres", "generate-database-credential", ep, "--json", "{\"endpoint\":\"" + ep + "\"}");
        assertThat(both.exit()).isNotZero();
        assertThat(both.stderr()).contains("no positional arguments");
        Run neither = oxbow(env, "postgres", "generate-database-credential");
        assertThat(neither.exit()).isNotZero();
        assertThat(neither.stderr()).contains("ENDPOINT");

        // --page-token starts the listing at that page
        ok(env, "postgres", "create-branch", "projects/cli-parity", "b1", "--no-expiry");
        String admin = shared.adminToken();
        var http = java.net.http.HttpClient.newHttpClient();
        var request = java.net.http.HttpRequest.newBuilder(java.net.URI.create(shared.server().baseUrl()
                + "/api/2.0/postgres/projects/cli-parity/branches?page_size=1")).header("Authorization", "Bearer " + admin).build();
        JsonNode firstPage = JSON.readTree(http.send(request, java.net.http.HttpResponse.BodyHandlers.ofString()).body());
        String token = firstPage.path("next_page_token").asText();
        assertThat(token).isNotEmpty();
        JsonNode rest = ok(env, "postgres", "list-branches", "projects/cli-parity", "--page-token", token);
        assertThat(rest.findValuesAsText("name")).containsExactly("projects/cli-parity/branches/b1");
        ok(env, "postgres", "delete-project", "projects/cli-parity", "--purge");
    }
}
