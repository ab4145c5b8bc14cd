package dev.oxbow.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.oxbow.cli.CliFixture.Run;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static dev.oxbow.cli.CliFixture.oxbow;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Identity commands and errors in-process; psql with a fresh credential through the real launcher JVM, since it execs psql. */
@ExtendWith(SharedServerExtension.class)
class CliCommandsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void identityCommandsDriveTheApiAndFailWithItsMessage(SharedServer shared) throws Exception {
        Map<String, String> env = shared.env();
        Run created = oxbow(env, "users", "create", "carol@example.com");
        assertThat(created.exit()).as(created.output()).isZero();
        assertThat(JSON.readTree(created.output()).path("userName").asText()).isEqualTo("carol@example.com");
        Run token = oxbow(env, "tokens", "create-for", "carol@example.com", "--lifetime", "1d", "--comment", "cli");
        assertThat(token.exit()).as(token.output()).isZero();
        String carolToken = JSON.readTree(token.output()).path("token_value").asText();
        long expiry = JSON.readTree(token.output()).path("token_info").path("expiry_time").asLong();
        assertThat(expiry - System.currentTimeMillis()).isBetween(86_000_000L, 86_500_000L);
        Map<String, String> asCarol = new HashMap<>(env);
        asCarol.put("OXBOW_TOKEN", carolToken);
        Run mine = oxbow(asCarol, "tokens", "list");
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

    @Test
    void psqlConnectsThroughTheProxyWithAFreshCredential(SharedServer shared) throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/psql")), "psql not installed (scripts/setup --for-tests installs it)");
        Map<String, String> env = new HashMap<>(shared.env());
        env.put("OXBOW_PG_PORT", Integer.toString(shared.server().pgPort()));
        Run project = oxbow(env, "postgres", "create-project", "cli-psql");
        assertThat(project.exit()).as(project.stderr()).isZero();

        // the real launcher JVM: psql inherits its stdin/stdout, which only a process of its own shows
        Run ok = CliFixture.subprocess(env, "psql", "projects/cli-psql/branches/production/endpoints/primary", "--", "-XAtc", "SELECT current_user");
        assertThat(ok.output()).isEqualTo("admin@oxbow.local");
        assertThat(ok.exit()).isZero();

        // --at: the branch as it was, read-only
        String ep = "projects/cli-psql/branches/production/endpoints/primary";
        assertThat(CliFixture.subprocess(env, "psql", ep, "--", "-XAtc", "CREATE TABLE t (v text); INSERT INTO t VALUES ('old')").exit()).isZero();
        java.time.Instant before = java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).plusSeconds(1);
        Thread.sleep(java.time.Duration.between(java.time.Instant.now(), before).toMillis() + 50);
        assertThat(CliFixture.subprocess(env, "psql", ep, "--", "-XAtc", "UPDATE t SET v = 'new'").exit()).isZero();
        Run past = CliFixture.subprocess(env, "psql", ep, "--at", before.toString(), "--", "-XAtc", "SELECT v FROM t");
        assertThat(past.output()).as(past.stderr()).isEqualTo("old");
        Run write = CliFixture.subprocess(env, "psql", ep, "--at", before.toString(), "--", "-XAtv", "ON_ERROR_STOP=1", "-c", "DELETE FROM t");
        assertThat(write.exit()).isNotZero();
        assertThat(write.output()).contains("read-only");
        Run quote = oxbow(env, "psql", ep, "--at", "x' host=evil");
        assertThat(quote.exit()).isNotZero();
        assertThat(quote.output()).contains("--at takes an RFC 3339 time");

        Run missing = oxbow(env, "psql", "projects/cli-psql/branches/production/endpoints/nope");
        assertThat(missing.exit()).isNotZero();
        assertThat(missing.output()).contains("NOT_FOUND").doesNotContain("Exception");
    }
}
