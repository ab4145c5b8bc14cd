package dev.oxbow.server;

import com.databricks.sdk.WorkspaceClient;
import com.databricks.sdk.core.error.platform.InvalidParameterValue;
import com.databricks.sdk.service.postgres.*;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.util.Timestamps;
import dev.oxbow.controlplane.ControlPlane;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.StreamSupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Branch history on one storage kind (the subclasses pick plain copy or copy-on-write): branches from a
 * past time or LSN hold exactly the commits up to it, restore in place keeps the previous state as a
 * branch, reset takes the parent's head, and refused requests change nothing.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class BranchHistoryTests {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Each subclass has its own server: one instance per class, so nothing is shared through static fields. */
    @RegisterExtension
    final TestHomes homes = new TestHomes();
    TestServer t;
    WorkspaceClient w;

    /** The data directory this kind of storage is tested on. */
    abstract java.nio.file.Path newHome() throws Exception;

    @BeforeAll
    void start() throws Exception {
        t = TestServer.start(newHome());
        w = t.sdk();
    }

    @AfterAll
    void stop() {
        if (t != null) {
            t.close();
        }
    }

    /** Inserts rows 1..n one transaction each; returns the instant and WAL position after each commit. */
    private List<Instant> insertRows(String endpoint, int from, int to, List<String> lsns) throws Exception {
        List<Instant> marks = new ArrayList<>();
        try (Connection c = Sql.connect(t, endpoint, "databricks_postgres"); Statement st = c.createStatement()) {
            for (int i = from; i <= to; i++) {
                st.execute("INSERT INTO events VALUES (" + i + ", clock_timestamp())");
                // the marks are cut to milliseconds (Timestamps.fromMillis): a few on each side keep a mark strictly
                // between two commits
                Thread.sleep(10);
                marks.add(Instant.now());
                try (ResultSet rs = st.executeQuery("SELECT pg_current_wal_insert_lsn()::text")) {
                    rs.next();
                    lsns.add(rs.getString(1));
                }
                Thread.sleep(10);
            }
        }
        return marks;
    }

    private List<String> ids(String endpoint) throws Exception {
        return Sql.column(t, endpoint, "databricks_postgres", "SELECT id FROM events ORDER BY id");
    }

    private String project(String id) throws Exception {
        var op = w.postgres().createProject(new CreateProjectRequest().setProjectId(id).setProject(new Project()));
        SdkOperations.await(t, op.getName(), op::waitForCompletion);
        return "projects/" + id;
    }

    private void purge(String project) throws Exception {
        var op = w.postgres().deleteProject(new DeleteProjectRequest().setName(project).setPurge(true));
        SdkOperations.awaitEnded(t, op.getName(), op::waitForCompletion);
    }

    private Branch branch(String project, String id, BranchSpec spec) throws Exception {
        var op = w.postgres().createBranch(new CreateBranchRequest().setParent(project).setBranchId(id)
                .setBranch(new Branch().setSpec(spec.setNoExpiry(true))));
        return SdkOperations.await(t, op.getName(), op::waitForCompletion);
    }

    /** POSTs an Oxbow branch action and waits for its operation; returns the final operation JSON. */
    private JsonNode action(String branch, String verb, String body) throws Exception {
        HttpResponse<String> r = t.http("POST", "/api/2.0/postgres/" + branch + ":" + verb, body);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return t.awaitOperation(JSON.readTree(r.body()).get("name").asText(), java.time.Duration.ofSeconds(120));
    }

    private JsonNode refused(String branch, String verb, String body) throws Exception {
        HttpResponse<String> r = t.http("POST", "/api/2.0/postgres/" + branch + ":" + verb, body);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
        return JSON.readTree(r.body());
    }

    private void wake(String branchName) throws Exception {
        ControlPlane cp = t.server().controlPlane();
        var b = cp.store().branches().get(branchName).orElseThrow();
        var p = cp.store().projects().get("projects/" + b.projectId()).orElseThrow();
        cp.computes().ensureRunning(p, b);
    }

    private List<String> branchIds(String project) {
        return StreamSupport.stream(w.postgres().listBranches(project).spliterator(), false)
                .map(b -> b.getName().substring(b.getName().lastIndexOf('/') + 1)).sorted().toList();
    }

    @Test
    void branchFromAPastTimeOrLsnHoldsExactlyTheCommitsUpToIt() throws Exception {
        String p = project("history-past");
        String prod = p + "/branches/production";
        String prodEp = prod + "/endpoints/primary";
        Sql.exec(t, prodEp, "databricks_postgres", "CREATE TABLE events (id int primary key, committed_at timestamptz)");
        List<String> lsns = new ArrayList<>();
        List<Instant> marks = insertRows(prodEp, 1, 8, lsns);

        Branch atTime = branch(p, "at-time", new BranchSpec().setSourceBranch(prod).setSourceBranchTime(Timestamps.fromMillis(marks.get(2).toEpochMilli())));
        assertThat(atTime.getStatus().getCurrentState()).isEqualTo(BranchStatusState.READY);
        assertThat(atTime.getStatus().getSourceBranchTime()).isEqualTo(Timestamps.fromMillis(marks.get(2).toEpochMilli()));
        assertThat(atTime.getStatus().getSourceBranchLsn()).matches("[0-9A-F]+/[0-9A-F]+");
        assertThat(ids(p + "/branches/at-time/endpoints/primary")).containsExactly("1", "2", "3");

        Branch atLsn = branch(p, "at-lsn", new BranchSpec().setSourceBranch(prod).setSourceBranchLsn(lsns.get(5)));
        assertThat(ids(p + "/branches/at-lsn/endpoints/primary")).containsExactly("1", "2", "3", "4", "5", "6");
        assertThat(atLsn.getStatus().getSourceBranchLsn()).isNotBlank();

        // a branch from the past is a writable branch of its own, and its parent is untouched
        Sql.exec(t, p + "/branches/at-time/endpoints/primary", "databricks_postgres", "INSERT INTO events VALUES (100, now())");
        assertThat(ids(prodEp)).hasSize(8);

        // the head of a branch made from the past can itself be branched, at a point in its own history
        List<String> childLsns = new ArrayList<>();
        List<Instant> childMarks = insertRows(p + "/branches/at-time/endpoints/primary", 200, 201, childLsns);
        Branch grandchild = branch(p, "grandchild", new BranchSpec().setSourceBranch(p + "/branches/at-time")
                .setSourceBranchTime(Timestamps.fromMillis(childMarks.get(0).toEpochMilli())));
        assertThat(grandchild.getStatus().getCurrentState()).isEqualTo(BranchStatusState.READY);
        assertThat(ids(p + "/branches/grandchild/endpoints/primary")).containsExactly("1", "2", "3", "100", "200");

        List<String> before = branchIds(p);
        Instant longAgo = Instant.now().minusSeconds(8 * 86400);
        assertThatThrownBy(() -> branch(p, "too-old", new BranchSpec().setSourceBranch(prod).setSourceBranchTime(Timestamps.fromMillis(longAgo.toEpochMilli()))))
                .isInstanceOf(InvalidParameterValue.class).hasMessageContaining("restore window");
        assertThatThrownBy(() -> branch(p, "future", new BranchSpec().setSourceBranch(prod)
                .setSourceBranchTime(Timestamps.fromMillis(Instant.now().plusSeconds(3600).toEpochMilli()))))
                .isInstanceOf(InvalidParameterValue.class).hasMessageContaining("future");
        assertThatThrownBy(() -> branch(p, "bad-lsn", new BranchSpec().setSourceBranch(prod).setSourceBranchLsn("yesterday")))
                .isInstanceOf(InvalidParameterValue.class).hasMessageContaining("LSN");
        assertThatThrownBy(() -> branch(p, "both", new BranchSpec().setSourceBranch(prod).setSourceBranchLsn(lsns.get(0))
                .setSourceBranchTime(Timestamps.fromMillis(marks.get(0).toEpochMilli()))))
                .isInstanceOf(InvalidParameterValue.class).hasMessageContaining("mutually exclusive");
        // before the branch's own history began (its first snapshot), with no parent to fall back on
        assertThatThrownBy(() -> branch(p, "before-birth", new BranchSpec().setSourceBranch(prod).setSourceBranchLsn("0/10")))
                .isInstanceOf(InvalidParameterValue.class).hasMessageContaining("earliest restorable point");
        assertThat(branchIds(p)).isEqualTo(before);
        purge(p);
    }

    @Test
    void restoreInPlaceKeepsThePreviousStateAsABranch() throws Exception {
        String p = project("history-restore");
        String prod = p + "/branches/production";
        Sql.exec(t, prod + "/endpoints/primary", "databricks_postgres", "CREATE TABLE events (id int primary key, committed_at timestamptz)");
        branch(p, "dev", new BranchSpec().setSourceBranch(prod));
        String dev = p + "/branches/dev";
        String devEp = dev + "/endpoints/primary";
        List<Instant> marks = insertRows(devEp, 1, 4, new ArrayList<>());
        Sql.exec(t, devEp, "databricks_postgres", "DELETE FROM events WHERE id > 1"); // the mistake

        JsonNode op = action(dev, "restore", "{\"source_branch_time\":\"" + marks.get(3) + "\"}");
        assertThat(op.has("error")).as(op.toString()).isFalse();
        assertThat(op.at("/response/name").asText()).isEqualTo(dev);
        assertThat(ids(devEp)).containsExactly("1", "2", "3", "4");
        assertThat(w.postgres().getBranch(dev).getStatus().getCurrentState()).isEqualTo(BranchStatusState.READY);
        // the replay ran without fsync (one syncfs after it); the branch's own server syncs its commits again
        assertThat(Sql.column(t, devEp, "databricks_postgres", "SHOW fsync")).containsExactly("on");
        // the restored branch stays writable
        Sql.exec(t, devEp, "databricks_postgres", "INSERT INTO events VALUES (5, now())");

        String old = branchIds(p).stream().filter(id -> id.startsWith("dev_old_")).findFirst().orElseThrow();
        assertThat(old).matches("dev_old_\\d{14}");
        wake(p + "/branches/" + old);
        assertThat(ids(p + "/branches/" + old + "/endpoints/primary")).containsExactly("1");

        // rules: not on a root branch, a protected one or one with children; nothing changes
        assertThat(refused(prod, "restore", "{\"source_branch_time\":\"" + marks.get(0) + "\"}").get("message").asText()).contains("root branch");
        branch(p, "child-of-dev", new BranchSpec().setSourceBranch(dev));
        assertThat(refused(dev, "restore", "{\"source_branch_time\":\"" + marks.get(0) + "\"}").get("message").asText()).contains("child branches");
        assertThat(refused(dev, "reset", "{}").get("message").asText()).contains("child branches");
        assertThat(refused(p + "/branches/child-of-dev", "restore", "{}").get("error_code").asText()).isEqualTo("INVALID_PARAMETER_VALUE");
        assertThat(ids(devEp)).containsExactly("1", "2", "3", "4", "5");
        purge(p);
    }

    @Test
    void resetTakesTheParentsHead() throws Exception {
        String p = project("history-reset");
        String prod = p + "/branches/production";
        String prodEp = prod + "/endpoints/primary";
        Sql.exec(t, prodEp, "databricks_postgres", "CREATE TABLE events (id int primary key, committed_at timestamptz); INSERT INTO events VALUES (1, now())");
        branch(p, "feature", new BranchSpec().setSourceBranch(prod));
        String feature = p + "/branches/feature";
        Sql.exec(t, feature + "/endpoints/primary", "databricks_postgres", "INSERT INTO events VALUES (50, now()); CREATE TABLE scratch (x int)");
        Sql.exec(t, prodEp, "databricks_postgres", "INSERT INTO events VALUES (2, now())");
        String lsnBefore = w.postgres().getBranch(feature).getStatus().getSourceBranchLsn();

        JsonNode op = action(feature, "reset", "{}");
        assertThat(op.has("error")).as(op.toString()).isFalse();
        assertThat(ids(feature + "/endpoints/primary")).containsExactly("1", "2");
        assertThat(Sql.column(t, feature + "/endpoints/primary", "databricks_postgres", "SELECT count(*) FROM pg_tables WHERE tablename = 'scratch'"))
                .containsExactly("0");
        Branch after = w.postgres().getBranch(feature);
        assertThat(after.getStatus().getCurrentState()).isEqualTo(BranchStatusState.READY);
        assertThat(after.getStatus().getSourceBranchLsn()).isNotEqualTo(lsnBefore);
        assertThat(after.getStatus().getLogicalSizeBytes()).isPositive();
        assertThat(refused(prod, "reset", "{}").get("message").asText()).contains("root branch");
        purge(p);
    }

    /**
     * A branch's first snapshot is taken after its create is done; a point between its branch point and that snapshot
     * replays the parent's history up to the branch point and then the branch's own WAL. Here the snapshot is gone
     * (as if Oxbow stopped before taking it), so nothing else could serve those points.
     */
    @Test
    void pointsOfABranchBeforeItsFirstSnapshotComeFromTheParentsHistoryAndItsOwnWal() throws Exception {
        String p = project("history-bridge");
        String prod = p + "/branches/production";
        Sql.exec(t, prod + "/endpoints/primary", "databricks_postgres", "CREATE TABLE events (id int primary key, committed_at timestamptz)");
        insertRows(prod + "/endpoints/primary", 1, 2, new ArrayList<>());
        branch(p, "child", new BranchSpec().setSourceBranch(prod));
        String child = p + "/branches/child";
        List<String> lsns = new ArrayList<>();
        List<Instant> marks = insertRows(child + "/endpoints/primary", 10, 12, lsns);
        insertRows(prod + "/endpoints/primary", 3, 3, new ArrayList<>()); // the parent goes on: none of it is the child's

        ControlPlane cp = t.server().controlPlane();
        var project = cp.store().projects().get(p).orElseThrow();
        var branch = cp.store().branches().get(child).orElseThrow();
        java.nio.file.Path snapshots = cp.config().layout().snapshotsDir(project, branch);
        long deadline = System.nanoTime() + java.time.Duration.ofSeconds(60).toNanos();
        while (!hasSnapshot(snapshots)) {
            assertThat(System.nanoTime()).as("the child's first snapshot is taken after its create").isLessThan(deadline);
            Thread.sleep(50);
        }
        new dev.oxbow.storage.BranchCloner().delete(snapshots);

        branch(p, "at-lsn", new BranchSpec().setSourceBranch(child).setSourceBranchLsn(lsns.get(1)));
        assertThat(ids(p + "/branches/at-lsn/endpoints/primary")).containsExactly("1", "2", "10", "11");
        branch(p, "at-time", new BranchSpec().setSourceBranch(child).setSourceBranchTime(Timestamps.fromMillis(marks.get(0).toEpochMilli())));
        assertThat(ids(p + "/branches/at-time/endpoints/primary")).containsExactly("1", "2", "10");
        purge(p);
    }

    private static boolean hasSnapshot(java.nio.file.Path snapshots) throws java.io.IOException {
        if (!java.nio.file.Files.isDirectory(snapshots)) {
            return false;
        }
        try (var entries = java.nio.file.Files.list(snapshots)) {
            return entries.anyMatch(e -> !e.getFileName().toString().startsWith("."));
        }
    }
}
