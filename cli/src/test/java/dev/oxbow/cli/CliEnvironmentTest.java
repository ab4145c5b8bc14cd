package dev.oxbow.cli;

import dev.oxbow.cli.CliFixture.Run;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static dev.oxbow.cli.CliFixture.oxbow;
import static org.assertj.core.api.Assertions.assertThat;

/** The launcher run in-process reads only the environment it is given, and prints only to the writers it is given. */
class CliEnvironmentTest {

    @Test
    void noTokenInTheGivenEnvironmentIsAnErrorWhateverTheMachineHas(@TempDir Path home) {
        Run run = oxbow(Map.of("OXBOW_HOME", home.toString()), "postgres", "list-projects");
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.stdout()).isEmpty();
        assertThat(run.stderr()).startsWith("Error: no API token").contains(home.resolve("admin-token").toString());
    }

    @Test
    void hostAndTokenComeFromOxbowVariablesElseDatabricksOnes(@TempDir Path home) {
        Map<String, String> databricks = Map.of("DATABRICKS_HOST", "lakebase.example.com", "DATABRICKS_TOKEN", "t", "OXBOW_HOST", " ");
        assertThat(new CliEnvironment(databricks, false).client().host()).isEqualTo("https://lakebase.example.com");
        Map<String, String> both = Map.of("DATABRICKS_HOST", "lakebase.example.com", "OXBOW_HOST", "http://127.0.0.1:9", "OXBOW_TOKEN", "t");
        assertThat(new CliEnvironment(both, false).client().host()).isEqualTo("http://127.0.0.1:9");
        assertThat(new CliEnvironment(Map.of("OXBOW_HOME", home.toString()), false).home()).isEqualTo(home);
    }

    @Test
    void theSpinnerDrawsOnlyOnATerminalThatDidNotOptOut() {
        assertThat(new CliEnvironment(Map.of(), true).spinner()).isTrue();
        assertThat(new CliEnvironment(Map.of("OXBOW_NO_SPINNER", "1"), true).spinner()).isFalse();
        assertThat(new CliEnvironment(Map.of(), false).spinner()).isFalse();
    }

    @Test
    void versionAndUsageGoToTheGivenOutWriter() {
        Run version = oxbow(Map.of(), "--version");
        assertThat(version.exit()).isZero();
        assertThat(version.stdout()).isEqualTo("oxbow 0.1.0");
        Run usage = oxbow(Map.of(), "postgres");
        assertThat(usage.exit()).isZero();
        assertThat(usage.stdout()).contains("create-project").contains("generate-database-credential");
        assertThat(usage.stderr()).isEmpty();
    }
}
