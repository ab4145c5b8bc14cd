package dev.oxbow.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.oxbow.cli.CliFixture.Run;
import dev.oxbow.client.OxbowClient;
import dev.oxbow.client.Snapshot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.Map;

import static dev.oxbow.cli.CliFixture.oxbow;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code oxbow postgres create/get/list/delete-snapshot} and the schedule commands, and the SDK methods under them. */
@ExtendWith(SharedServerExtension.class)
class SnapshotCommandsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode ok(Map<String, String> env, String... args) throws Exception {
        Run r = oxbow(env, args);
        assertThat(r.exit()).as(String.join(" ", args) + "\n" + r.stderr()).isZero();
        return r.stdout().isEmpty() ? JSON.nullNode() : JSON.readTree(r.stdout());
    }

    @Test
    void snapshotsAndSchedulesFromTheCli(SharedServer shared) throws Exception {
        Map<String, String> env = Map.of("OXBOW_HOST", shared.server().baseUrl(), "OXBOW_TOKEN", shared.adminToken());
        ok(env, "postgres", "create-project", "cli-snap");
        JsonNode snap = ok(env, "postgres", "create-snapshot", "projects/cli-snap", "before-launch", "--source-branch", "production");
        assertThat(snap.path("name").asText()).isEqualTo("projects/cli-snap/snapshots/before-launch");
        assertThat(snap.at("/status/source_branch").asText()).isEqualTo("projects/cli-snap/branches/production");
        assertThat(snap.at("/status/source_branch_lsn").asText()).matches("[0-9A-F]+/[0-9A-F]+");

        assertThat(ok(env, "postgres", "get-snapshot", "projects/cli-snap/snapshots/before-launch").path("uid").asText())
                .isEqualTo(snap.path("uid").asText());
        assertThat(ok(env, "postgres", "list-snapshots", "cli-snap").findValuesAsText("name"))
                .containsExactly("projects/cli-snap/snapshots/before-launch");
        assertThat(oxbow(env, "postgres", "list-snapshots", "projects/cli-snap", "-o", "table").stdout())
                .startsWith("NAME").contains("before-launch");

        // a branch from the snapshot, through the SDK's body
        JsonNode fromSnap = ok(env, "postgres", "create-branch", "projects/cli-snap", "from-snap", "--no-expiry",
                "--json", "{\"spec\":{\"source_snapshot\":\"projects/cli-snap/snapshots/before-launch\",\"no_expiry\":true}}");
        assertThat(fromSnap.path("name").asText()).isEqualTo("projects/cli-snap/branches/from-snap");

        JsonNode schedule = ok(env, "postgres", "update-snapshot-schedule", "projects/cli-snap/branches/production", "daily");
        assertThat(schedule.at("/spec/frequency").asText()).isEqualTo("DAILY");
        assertThat(ok(env, "postgres", "get-snapshot-schedule", "projects/cli-snap/branches/production").at("/status/next_snapshot_time").asText())
                .isNotEmpty();
        Run bad = oxbow(env, "postgres", "update-snapshot-schedule", "projects/cli-snap/branches/production", "hourly");
        assertThat(bad.exit()).isEqualTo(1);
        assertThat(bad.stderr()).startsWith("Error: ").contains("HOURLY");
        assertThat(ok(env, "postgres", "get-snapshot-schedule", "projects/cli-snap/branches/production").at("/spec/frequency").asText())
                .as("a refused update changes nothing").isEqualTo("DAILY");

        // the SDK methods the commands stand on
        OxbowClient client = new OxbowClient(shared.server().baseUrl(), shared.adminToken());
        Snapshot typed = client.postgres().getSnapshot("projects/cli-snap/snapshots/before-launch");
        assertThat(typed.status().sourceBranch()).isEqualTo("projects/cli-snap/branches/production");
        assertThat(typed.status().sizeBytes()).isPositive();
        assertThat(client.postgres().listSnapshots("cli-snap")).extracting(Snapshot::snapshotId).containsExactly("before-launch");
        assertThat(client.postgres().updateSnapshotSchedule("projects/cli-snap/branches/production", Snapshot.Schedule.of("NONE"), "spec.frequency")
                .spec().frequency()).isEqualTo("NONE");

        ok(env, "postgres", "delete-snapshot", "projects/cli-snap/snapshots/before-launch");
        Run gone = oxbow(env, "postgres", "get-snapshot", "projects/cli-snap/snapshots/before-launch");
        assertThat(gone.exit()).isEqualTo(1);
        ok(env, "postgres", "delete-snapshot", "projects/cli-snap/snapshots/before-launch", "--allow-missing");
        assertThat(oxbow(env, "postgres", "delete-snapshot", "projects/cli-snap/snapshots/before-launch").exit()).isEqualTo(1);
        ok(env, "postgres", "delete-project", "projects/cli-snap", "--purge");
    }
}
