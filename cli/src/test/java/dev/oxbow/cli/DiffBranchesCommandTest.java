package dev.oxbow.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.oxbow.cli.CliFixture.Run;
import dev.oxbow.compute.PgConnections;
import dev.oxbow.controlplane.ControlPlane;
import dev.oxbow.controlplane.resource.Defaults;
import dev.oxbow.server.OxbowServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.sql.Connection;
import java.sql.Statement;
import java.util.Map;

import static dev.oxbow.cli.CliFixture.oxbow;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code oxbow postgres diff-branches} against a real server, as text and as JSON; refusals go to stderr. */
@ExtendWith(SharedServerExtension.class)
class DiffBranchesCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void diffBranchesPrintsTheDdlAndRowChanges(SharedServer shared) throws Exception {
        Map<String, String> env = Map.of("OXBOW_HOST", shared.server().baseUrl(), "OXBOW_HOME", shared.home().toString());
        assertThat(oxbow(env, "postgres", "create-project", "cli-diff").exit()).isZero();
        exec(shared.server(), "projects/cli-diff/branches/production/endpoints/primary",
                "CREATE TABLE items (id int PRIMARY KEY, name text); INSERT INTO items SELECT i, 'item ' || i FROM generate_series(1, 500) i");
        assertThat(oxbow(env, "postgres", "create-branch", "projects/cli-diff", "dev", "--no-expiry").exit()).isZero();
        exec(shared.server(), "projects/cli-diff/branches/dev/endpoints/primary",
                "ALTER TABLE items ADD COLUMN price numeric; UPDATE items SET name = 'renamed' WHERE id = 42; DELETE FROM items WHERE id = 7");

        Run text = oxbow(env, "postgres", "diff-branches", "projects/cli-diff/branches/dev", "--against", "production");
        assertThat(text.exit()).as(text.stderr()).isZero();
        assertThat(text.stdout()).contains("-- projects/cli-diff/branches/dev compared with projects/cli-diff/branches/production")
                .contains("ALTER TABLE \"public\".\"items\" ADD COLUMN \"price\" numeric;\n")
                .contains("--   public.items: +0 -1 ~1\n")
                .contains("--     - {\"id\":\"7\"} {\"id\":7,\"name\":\"item 7\"}")
                .contains("--     ~ {\"id\":\"42\"} {\"id\":42,\"name\":\"renamed\"}");

        Run json = oxbow(env, "postgres", "diff-branches", "projects/cli-diff/branches/dev", "--against", "production", "--schema-only", "--json");
        assertThat(json.exit()).as(json.stderr()).isZero();
        JsonNode d = JSON.readTree(json.stdout());
        assertThat(d.path("schema").path("changes").get(0).path("object").asText()).isEqualTo("public.items.price");
        assertThat(d.has("data")).isFalse();

        Run same = oxbow(env, "postgres", "diff-branches", "projects/cli-diff/branches/production", "--against", "production");
        assertThat(same.stdout()).contains("-- identical\n").contains("-- schema: no differences\n");

        Run missing = oxbow(env, "postgres", "diff-branches", "projects/cli-diff/branches/dev", "--against", "nope");
        assertThat(missing.exit()).isEqualTo(1);
        assertThat(missing.stderr()).startsWith("Error: ").contains("projects/cli-diff/branches/nope");
    }

    private static void exec(OxbowServer server, String endpoint, String sql) throws Exception {
        ControlPlane cp = server.controlPlane();
        var e = cp.store().endpoints().get(endpoint).orElseThrow();
        try (Connection c = PgConnections.open(cp.config().layout().socketDir(e), "databricks_postgres", Defaults.SYSTEM_ROLE);
             Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }
}
