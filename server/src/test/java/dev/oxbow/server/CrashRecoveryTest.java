package dev.oxbow.server;

import dev.oxbow.metadata.BranchState;
import dev.oxbow.metadata.EndpointState;
import org.junit.jupiter.api.extension.RegisterExtension;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * kill -9 of the server in the middle of operations: after a restart every operation ends done,
 * metadata matches what runs, and no orphan postgres is left.
 */
class CrashRecoveryTest {
    @RegisterExtension
    static final TestHomes homes = new TestHomes();
    @Test
    void killNineMidOperationsThenRestart() throws Exception {
        Path home = homes.newHome("crash");
        ChildServer child = ChildServer.start(home);
        child.run("POST", "/api/2.0/postgres/projects?project_id=crash-a", "{}");

        List<String> ops = new ArrayList<>();
        ops.add(child.call("POST", "/api/2.0/postgres/projects?project_id=crash-b", "{}").path("name").asText());
        ops.add(child.call("POST", "/api/2.0/postgres/projects/crash-a/branches/production/roles?role_id=crash-role",
                "{\"spec\":{\"postgres_role\":\"crash_role\"}}").path("name").asText());
        CompletableFuture<JsonNode> branch = CompletableFuture.supplyAsync(() -> {
            try {
                return child.call("POST", "/api/2.0/postgres/projects/crash-a/branches?branch_id=crash-branch", "{\"spec\":{\"no_expiry\":true}}");
            } catch (Exception e) {
                return null;
            }
        });
        Thread.sleep(150);
        child.kill();
        JsonNode branchOp = branch.get(30, TimeUnit.SECONDS);
        if (branchOp != null && branchOp.has("name")) {
            ops.add(branchOp.path("name").asText());
        }

        try (TestServer t = TestServer.start(home)) {
            for (String op : ops) {
                JsonNode done = child.awaitDone(t.baseUrl(), op);
                // the interrupted work is resumed, so each operation finishes successfully
                assertThat(done.has("response")).as(op + " -> " + done).isTrue();
            }
            var store = t.server().controlPlane().store();
            // including operations whose create call never returned before the kill
            ReaperTest.awaitTrue(() -> store.operations().pending().isEmpty());
            long shouldRun = store.endpoints().all().stream().filter(e -> e.state() == EndpointState.ACTIVE).count();
            for (var e : store.endpoints().all()) {
                assertThat(t.server().controlPlane().computes().running(e)).as(e.name()).isEqualTo(e.state() == EndpointState.ACTIVE);
            }
            assertThat(store.branches().all()).allMatch(b -> b.state() == BranchState.READY);
            assertThat(Processes.postgresUnder(home)).as("one postgres per ACTIVE endpoint, no orphans").hasSize((int) shouldRun);
            if (store.roles().get("projects/crash-a/branches/production/roles/crash-role").isPresent()) {
                assertThat(Sql.column(t, "projects/crash-a/branches/production/endpoints/primary", "postgres",
                        "SELECT count(*) FROM pg_roles WHERE rolname = 'crash_role'")).containsExactly("1");
            }
        }
        assertThat(Processes.postgresUnder(home)).isEmpty();
    }

    /**
     * kill -9 while a restore, a reset and a branch from the past run: after the restart each operation
     * ends done, every branch is READY with consistent data, and no staging copy or orphan is left.
     */
    @Test
    void killNineMidRestoreResetAndPastBranchThenRestart() throws Exception {
        Path home = homes.newHome("crash-history");
        ChildServer child = ChildServer.start(home);
        String p = "/api/2.0/postgres/projects/crash-h";

        child.run("POST", "/api/2.0/postgres/projects?project_id=crash-h", "{}");
        sql(child, home, "production", "CREATE TABLE t (id int primary key); INSERT INTO t VALUES (1), (2), (3)");
        for (String b : List.of("dev", "reset-me")) {
            child.run("POST", p + "/branches?branch_id=" + b, "{\"spec\":{\"no_expiry\":true}}");
        }
        Thread.sleep(50);
        Instant point = Instant.now();
        Thread.sleep(50);
        sql(child, home, "dev", "INSERT INTO t VALUES (4)");
        sql(child, home, "production", "INSERT INTO t VALUES (5)");
        sql(child, home, "reset-me", "DELETE FROM t");

        List<String> ops = new ArrayList<>();
        ops.add(child.call("POST", p + "/branches/dev:restore", "{\"source_branch_time\":\"" + point + "\"}").path("name").asText());
        ops.add(child.call("POST", p + "/branches/reset-me:reset", "{}").path("name").asText());
        CompletableFuture<JsonNode> past = CompletableFuture.supplyAsync(() -> {
            try {
                return child.call("POST", p + "/branches?branch_id=past", "{\"spec\":{\"no_expiry\":true,\"source_branch_time\":\"" + point + "\"}}");
            } catch (Exception e) {
                return null;
            }
        });
        Thread.sleep(400);
        child.kill();
        JsonNode pastOp = past.get(30, TimeUnit.SECONDS);
        if (pastOp != null && pastOp.has("name")) {
            ops.add(pastOp.path("name").asText());
        }

        try (TestServer t = TestServer.start(home)) {
            for (String op : ops) {
                JsonNode done = child.awaitDone(t.baseUrl(), op);
                assertThat(done.has("response") || done.has("error")).as(op + " -> " + done).isTrue();
            }
            var store = t.server().controlPlane().store();
            ReaperTest.awaitTrue(() -> store.operations().pending().isEmpty());
            assertThat(store.branches().all()).allMatch(b -> b.state() == BranchState.READY);
            String ids = "SELECT id FROM t ORDER BY id";
            List<String> dev = Sql.column(t, "projects/crash-h/branches/dev/endpoints/primary", "databricks_postgres", ids);
            assertThat(dev).as("restored, or left as it was").isIn(List.of("1", "2", "3"), List.of("1", "2", "3", "4"));
            List<String> reset = Sql.column(t, "projects/crash-h/branches/reset-me/endpoints/primary", "databricks_postgres", ids);
            assertThat(reset).as("reset to the parent's head, or left as it was").isIn(List.of("1", "2", "3", "5"), List.of());
            if (store.branches().get("projects/crash-h/branches/past").isPresent()) {
                assertThat(Sql.column(t, "projects/crash-h/branches/past/endpoints/primary", "databricks_postgres", ids)).containsExactly("1", "2", "3");
            }
            try (var dirs = Files.list(home.resolve("projects").resolve(store.projects().get("projects/crash-h").orElseThrow().uid()).resolve("branches"))) {
                assertThat(dirs.map(d -> d.getFileName().toString())).as("no staging copies left").noneMatch(n -> n.contains("."));
            }
            for (var b : store.branches().list("projects/crash-h")) {
                assertThat(Files.isDirectory(t.server().controlPlane().config().layout().dataDir(
                        store.projects().get("projects/crash-h").orElseThrow(), b))).as(b.name() + " has its data").isTrue();
            }
            long shouldRun = store.endpoints().all().stream().filter(e -> e.state() == EndpointState.ACTIVE).count();
            assertThat(Processes.postgresUnder(home)).as("one postgres per ACTIVE endpoint, no orphans").hasSize((int) shouldRun);
        }
        assertThat(Processes.postgresUnder(home)).isEmpty();
    }

    /** Runs SQL on a branch's primary of the child server, over the compute's own socket. */
    private static void sql(ChildServer child, Path home, String branch, String sql) throws Exception {
        JsonNode ep = child.call("GET", "/api/2.0/postgres/projects/crash-h/branches/" + branch + "/endpoints/primary", null);
        Path socketDir = new dev.oxbow.controlplane.resource.Layout(home).socketDir(ep.path("uid").asText());
        try (var c = dev.oxbow.compute.PgConnections.open(socketDir, "databricks_postgres", dev.oxbow.controlplane.resource.Defaults.SYSTEM_ROLE);
             var st = c.createStatement()) {
            st.execute(sql);
        }
    }
}
