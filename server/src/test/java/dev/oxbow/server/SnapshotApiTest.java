package dev.oxbow.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Snapshots through the Python SDK's preview paths (raw HTTP: the Java SDK has no snapshot methods): a snapshot is
 * the data as of its taking, a branch made from it and a branch restored from it hold that data (not production's
 * head), it lives outside the branch's history, and the schedule is kept per root branch.
 */
@ExtendWith(SharedServer.class)
class SnapshotApiTest {
    static TestServer t;
    static final ObjectMapper json = new ObjectMapper();
    static final String P = "projects/snap-api";
    static final String API = "/api/2.0/postgres/";
    static final String PROD = P + "/branches/production";
    static final Duration WAIT = Duration.ofSeconds(120);

    @BeforeAll
    static void start(TestServer shared) throws Exception {
        t = shared;
        done(call("POST", "projects?project_id=snap-api", "{}"));
        Sql.exec(t, PROD + "/endpoints/primary", "databricks_postgres",
                "CREATE TABLE items (id int primary key); INSERT INTO items VALUES (1)");
    }

    @AfterAll
    static void cleanup() throws Exception {
        t.http("DELETE", API + P + "?purge=true", null);
    }

    static HttpResponse<String> call(String method, String path, String body) throws Exception {
        return t.http(method, API + path, body);
    }

    /** Waits for the operation a 200 answer started and returns its response (fails on an error). */
    static JsonNode done(HttpResponse<String> started) throws Exception {
        assertThat(started.statusCode()).as(started.body()).isEqualTo(200);
        JsonNode op = t.awaitOperation(json.readTree(started.body()).path("name").asText(), WAIT);
        assertThat(op.has("error")).as(op.toString()).isFalse();
        return op.path("response");
    }

    static JsonNode body(HttpResponse<String> r) throws Exception {
        return json.readTree(r.body());
    }

    static java.util.List<String> ids(String branch) throws Exception {
        return Sql.column(t, branch + "/endpoints/primary", "databricks_postgres", "SELECT id FROM items ORDER BY id");
    }

    @Test
    void aBranchFromASnapshotHoldsTheSnapshotsDataNotTheHead() throws Exception {
        HttpResponse<String> started = call("POST", P + "/snapshots?snapshot_id=before-two", "{\"spec\":{\"source_branch\":\"" + PROD + "\"}}");
        assertThat(body(started).path("metadata").path("@type").asText()).endsWith("SnapshotOperationMetadata");
        JsonNode snapshot = done(started);
        assertThat(snapshot.path("name").asText()).isEqualTo(P + "/snapshots/before-two");
        assertThat(snapshot.path("status").path("current_state").asText()).isEqualTo("READY");
        assertThat(snapshot.path("status").path("source_branch").asText()).isEqualTo(PROD);
        assertThat(snapshot.path("status").path("source_branch_lsn").asText()).matches("[0-9A-F]+/[0-9A-F]+");
        assertThat(snapshot.path("status").path("size_bytes").asLong()).isPositive();
        Sql.exec(t, PROD + "/endpoints/primary", "databricks_postgres", "INSERT INTO items VALUES (2)");

        JsonNode got = body(call("GET", P + "/snapshots/before-two", null));
        assertThat(got.path("status").path("source_branch_time").asText()).isEqualTo(snapshot.path("status").path("source_branch_time").asText());
        JsonNode list = body(call("GET", P + "/snapshots", null));
        assertThat(list.path("snapshots").findValuesAsText("name")).contains(P + "/snapshots/before-two");

        JsonNode branch = done(call("POST", P + "/branches?branch_id=from-snap",
                "{\"spec\":{\"source_snapshot\":\"" + P + "/snapshots/before-two\",\"no_expiry\":true}}"));
        assertThat(branch.path("status").path("current_state").asText()).isEqualTo("READY");
        assertThat(branch.path("status").path("source_branch_lsn").asText()).isEqualTo(snapshot.path("status").path("source_branch_lsn").asText());
        assertThat(ids(P + "/branches/from-snap")).containsExactly("1");
        assertThat(ids(PROD)).containsExactly("1", "2");
        // the branch is writable and its own
        Sql.exec(t, P + "/branches/from-snap/endpoints/primary", "databricks_postgres", "INSERT INTO items VALUES (7)");
        assertThat(ids(PROD)).containsExactly("1", "2");

        // the snapshot's data lives outside every branch's history directory (which the restore window prunes)
        var cp = t.server().controlPlane();
        var project = cp.store().projects().get(P).orElseThrow();
        var record = cp.store().snapshots().get(P + "/snapshots/before-two").orElseThrow();
        var dir = cp.config().layout().projectSnapshotDir(project, record.uid());
        assertThat(Files.isDirectory(dir)).isTrue();
        assertThat(dir.startsWith(cp.config().layout().projectDir(project).resolve("branches"))).isFalse();

        // only root branches; a missing snapshot is a 404, a source point with it a 400
        HttpResponse<String> ofChild = call("POST", P + "/snapshots?snapshot_id=of-child", "{\"spec\":{\"source_branch\":\"" + P + "/branches/from-snap\"}}");
        assertThat(ofChild.statusCode()).isEqualTo(400);
        assertThat(body(ofChild).path("message").asText()).contains("root branches only");
        assertThat(call("POST", P + "/branches?branch_id=nosnap", "{\"spec\":{\"source_snapshot\":\"" + P + "/snapshots/nope\",\"no_expiry\":true}}")
                .statusCode()).isEqualTo(404);
        HttpResponse<String> withLsn = call("POST", P + "/branches?branch_id=both", "{\"spec\":{\"source_snapshot\":\"" + P
                + "/snapshots/before-two\",\"source_branch_lsn\":\"0/1\",\"no_expiry\":true}}");
        assertThat(withLsn.statusCode()).isEqualTo(400);
        assertThat(body(withLsn).path("error_code").asText()).isEqualTo("INVALID_PARAMETER_VALUE");
    }

    @Test
    void anyBranchCanBeRestoredFromASnapshotKeepingItsStateAsAnOldBranch() throws Exception {
        done(call("POST", P + "/branches?branch_id=restore-me", "{\"spec\":{\"source_branch\":\"" + PROD + "\",\"no_expiry\":true}}"));
        done(call("POST", P + "/snapshots?snapshot_id=for-restore", "{}"));
        Sql.exec(t, P + "/branches/restore-me/endpoints/primary", "databricks_postgres", "INSERT INTO items VALUES (99)");
        Sql.exec(t, P + "/branches/restore-me/endpoints/primary", "databricks_postgres", "CREATE ROLE later_role");
        JsonNode restored = done(call("POST", P + "/branches/restore-me:restore", "{\"source_snapshot\":\"" + P + "/snapshots/for-restore\"}"));
        assertThat(restored.path("status").path("current_state").asText()).isEqualTo("READY");
        assertThat(ids(P + "/branches/restore-me")).doesNotContain("99");
        // the state before the restore is kept
        JsonNode branches = body(call("GET", P + "/branches", null));
        String old = branches.path("branches").findValuesAsText("name").stream().filter(n -> n.startsWith(P + "/branches/restore-me_old_"))
                .findFirst().orElseThrow();
        assertThat(body(call("GET", old, null)).path("status").path("current_state").asText()).isEqualTo("READY");
        // the roles are the snapshot's again: a role made after it is gone from the restored branch
        assertThat(Sql.column(t, P + "/branches/restore-me/endpoints/primary", "postgres", "SELECT rolname FROM pg_roles WHERE rolname = 'later_role'")).isEmpty();
    }

    @Test
    void deleteRemovesTheDataAndAllowMissingSucceedsOnAMissingSnapshot() throws Exception {
        done(call("POST", P + "/snapshots?snapshot_id=short-lived", "{}"));
        var cp = t.server().controlPlane();
        var project = cp.store().projects().get(P).orElseThrow();
        var dir = cp.config().layout().projectSnapshotDir(project, cp.store().snapshots().get(P + "/snapshots/short-lived").orElseThrow().uid());
        JsonNode deleted = done(call("DELETE", P + "/snapshots/short-lived", null));
        assertThat(deleted.path("@type").asText()).endsWith("google.protobuf.Empty");
        assertThat(Files.exists(dir)).isFalse();
        assertThat(call("GET", P + "/snapshots/short-lived", null).statusCode()).isEqualTo(404);
        assertThat(call("DELETE", P + "/snapshots/short-lived", null).statusCode()).isEqualTo(404);
        done(call("DELETE", P + "/snapshots/short-lived?allow_missing=true", null));
    }

    @Test
    void theScheduleIsPerRootBranchAndSaysWhenItRunsNext() throws Exception {
        JsonNode none = body(call("GET", PROD + "/snapshot-schedule", null));
        assertThat(none.path("name").asText()).isEqualTo(PROD + "/snapshot-schedule");
        assertThat(none.path("spec").path("frequency").asText()).isEqualTo("NONE");
        Instant before = Instant.now();
        HttpResponse<String> weekly = call("PATCH", PROD + "/snapshot-schedule?update_mask=spec.frequency", "{\"spec\":{\"frequency\":\"WEEKLY\"}}");
        assertThat(weekly.statusCode()).as(weekly.body()).isEqualTo(200);
        Instant next = Instant.parse(body(weekly).path("status").path("next_snapshot_time").asText());
        assertThat(next).isBetween(before.plus(Duration.ofDays(7)).minusSeconds(1), Instant.now().plus(Duration.ofDays(7)));
        assertThat(body(call("GET", PROD + "/snapshot-schedule", null)).path("spec").path("frequency").asText()).isEqualTo("WEEKLY");
        HttpResponse<String> bad = call("PATCH", PROD + "/snapshot-schedule?update_mask=spec.frequency", "{\"spec\":{\"frequency\":\"HOURLY\"}}");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(body(bad).path("message").asText()).contains("spec.frequency");
        assertThat(call("PATCH", PROD + "/snapshot-schedule?update_mask=spec.frequency", "{\"spec\":{\"frequency\":\"NONE\"}}").statusCode()).isEqualTo(200);
    }
}
