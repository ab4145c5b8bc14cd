package dev.oxbow.server;

import dev.oxbow.storage.object.TestS3Server;
import com.fasterxml.jackson.databind.JsonNode;
import dev.oxbow.compute.PgConnections;
import dev.oxbow.controlplane.history.BucketPolicy;
import dev.oxbow.controlplane.resource.Defaults;
import dev.oxbow.controlplane.resource.Layout;
import dev.oxbow.storage.object.ObjectInfo;
import dev.oxbow.storage.object.ObjectStore;
import dev.oxbow.storage.object.ObjectStores;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Disaster recovery from a real S3 server (S3Proxy through the AWS SDK): an Oxbow whose history ships to the
 * bucket is killed with its computes, its whole home is deleted, and a fresh home restored from the bucket
 * alone serves the same project, endpoint and credentials with every commit older than the loss window.
 */
@Timeout(600)
class ObjectStoreRecoveryTest {
    @RegisterExtension
    static final TestHomes homes = new TestHomes();
    static TestS3Server s3;
    static Path s3Dir;
    /** Shipping every second, snapshots and metadata every second: the loss window is about two seconds. */
    private static final Duration LOSS_WINDOW = Duration.ofSeconds(3);

    @BeforeAll
    static void startS3() throws Exception {
        s3Dir = homes.newHome("s3");
        s3 = TestS3Server.start(s3Dir, "oxbow-dr");
    }

    @AfterAll
    static void stopS3() throws Exception {
        s3.close();
    }

    private static Map<String, String> env(String location) {
        Map<String, String> env = new HashMap<>(TestBucketEnv.of(s3));
        env.put("OXBOW_OBJECT_STORE", location);
        env.put("OXBOW_WAL_SHIP_INTERVAL_MS", "1000");
        env.put("OXBOW_BUCKET_UPLOAD_INTERVAL_MS", "1000");
        return env;
    }

    @Test
    void killEverythingDeleteTheHomeAndRestoreFromTheBucket() throws Exception {
        String location = "s3://oxbow-dr/killed";
        Path home = homes.newHome("dr");
        ChildServer child = ChildServer.start(home, env(location));
        child.run("POST", "/api/2.0/postgres/projects?project_id=dr-a", "{}");
        JsonNode endpoint = child.call("GET", "/api/2.0/postgres/projects/dr-a/branches/production/endpoints/primary", null);
        String endpointUid = endpoint.path("uid").asText();
        JsonNode roleOp = child.call("POST", "/api/2.0/postgres/projects/dr-a/branches/production/roles?role_id=app-role",
                "{\"spec\":{\"postgres_role\":\"app_user\"}}");
        assertThat(roleOp.has("name")).as(roleOp.toString()).isTrue();
        child.awaitDone(child.baseUrl(), roleOp.path("name").asText());
        Path socket = new Layout(home).socketDir(endpointUid);
        try (Connection c = PgConnections.open(socket, "postgres", Defaults.SYSTEM_ROLE); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE commits (id int primary key, at timestamptz not null default clock_timestamp())");
            st.execute("CREATE TABLE kept (v text)");
            st.execute("INSERT INTO kept VALUES ('in the snapshot')");
        }
        // a named project snapshot goes to the bucket too (as the pieces its branch's snapshots do not have yet)
        JsonNode named = child.run("POST", "/api/2.0/postgres/projects/dr-a/snapshots?snapshot_id=before-kill", "{}");
        assertThat(named.path("response").path("status").path("current_state").asText()).as(named.toString()).isEqualTo("READY");
        try (Connection c = PgConnections.open(socket, "postgres", Defaults.SYSTEM_ROLE); Statement st = c.createStatement()) {
            st.execute("INSERT INTO kept VALUES ('after the snapshot')");
        }
        String projectUid = child.call("GET", "/api/2.0/postgres/projects/dr-a", null).path("uid").asText();
        try (ObjectStore bucket = ObjectStores.open(location, TestBucketEnv.of(s3))) {
            awaitTrue(() -> bucket.list("projects/" + projectUid + "/branches/snap-").stream().anyMatch(o -> o.key().endsWith(".manifest")));
            // the project's records and its first snapshot are in the bucket
            awaitTrue(() -> bucket.list("projects/").stream().anyMatch(o -> o.key().endsWith(".manifest")));
            awaitTrue(() -> bucket.exists("metadata/LATEST") && metadataHas(bucket, "app_user"));
            // the home's secrets are sealed too: the admin token is not readable from the bucket
            awaitTrue(() -> bucket.exists("metadata/home/admin-token"));
            assertThat(new String(bucket.get("metadata/home/admin-token").orElseThrow(), java.nio.charset.StandardCharsets.ISO_8859_1))
                    .doesNotContain(child.token());
        }
        // one commit at a time, each acknowledged, for a few seconds, then the machine is gone
        Map<Integer, Instant> acknowledged = new LinkedHashMap<>();
        try (Connection c = PgConnections.open(socket, "postgres", Defaults.SYSTEM_ROLE); Statement st = c.createStatement()) {
            Instant until = Instant.now().plusSeconds(4); // 6 s before continuous shipping; what is older than the window must be there
            for (int id = 1; Instant.now().isBefore(until); id++) {
                st.execute("INSERT INTO commits (id) VALUES (" + id + ")");
                acknowledged.put(id, Instant.now());
                Thread.sleep(20);
            }
        }
        Instant killedAt = Instant.now();
        child.kill();
        for (long pid : Processes.postgresUnder(home)) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
        awaitTrue(() -> Processes.postgresUnder(home).isEmpty());
        // a lost disk, not a lost machine: the projects' OS users (in /etc/passwd) survive the home, and the restored home
        // must adopt them, not refuse them as another home's
        String homeId = HomeId.read(home).orElseThrow();
        // an archiver's zstd child may still finish a file after its postmaster died: delete until nothing is left
        awaitTrue(() -> {
            TestHomes.deleteKeepingOsUsers(home);
            return !Files.exists(home);
        });

        Path fresh = homes.newHome("dr-restored");
        ServerConfig config = TestServer.config(fresh).withBucket(BucketPolicy.at(location, TestBucketEnv.of(s3)).withRestore(true));
        try (TestServer t = TestServer.start(config)) {
            var store = t.server().controlPlane().store();
            assertThat(store.endpoints().get("projects/dr-a/branches/production/endpoints/primary")).hasValueSatisfying(e ->
                    assertThat(e.uid()).isEqualTo(endpointUid));
            assertThat(store.roles().get("projects/dr-a/branches/production/roles/app-role")).isPresent();
            // the restored admin token is the old one, and so is the home's id
            assertThat(t.token()).isEqualTo(child.token());
            assertThat(HomeId.read(fresh)).contains(homeId);
            String ep = "projects/dr-a/branches/production/endpoints/primary";
            ReaperTest.awaitTrue(() -> t.server().controlPlane().computes().running(store.endpoints().get(ep).orElseThrow()));
            java.util.Set<Integer> present = new java.util.HashSet<>();
            for (String id : Sql.column(t, ep, "postgres", "SELECT id FROM commits")) {
                present.add(Integer.parseInt(id));
            }
            long mustHave = acknowledged.entrySet().stream().filter(e -> e.getValue().isBefore(killedAt.minus(LOSS_WINDOW))).count();
            long lost = acknowledged.keySet().stream().filter(id -> !present.contains(id)).count();
            System.out.println("DR: acknowledged=" + acknowledged.size() + " restored=" + present.size() + " lost=" + lost);
            assertThat(mustHave).isPositive();
            acknowledged.forEach((id, at) -> {
                if (at.isBefore(killedAt.minus(LOSS_WINDOW))) {
                    assertThat(present).as("commit " + id + " acknowledged at " + at + ", killed at " + killedAt).contains(id);
                }
            });
            assertThat(Sql.column(t, ep, "postgres", "SELECT count(*) FROM pg_roles WHERE rolname = 'app_user'")).containsExactly("1");
            // and it serves writes again
            Sql.exec(t, ep, "postgres", "INSERT INTO commits (id) VALUES (1000000)");
            // the named snapshot came back with the bucket: a branch from it holds its data, not the head's
            var fromSnapshot = t.http("POST", "/api/2.0/postgres/projects/dr-a/branches?branch_id=from-snap",
                    "{\"spec\":{\"source_snapshot\":\"projects/dr-a/snapshots/before-kill\",\"no_expiry\":true}}");
            assertThat(fromSnapshot.statusCode()).as(fromSnapshot.body()).isEqualTo(200);
            JsonNode branched = t.awaitOperation(JSON.readTree(fromSnapshot.body()).get("name").asText(), Duration.ofSeconds(300));
            assertThat(branched.has("response")).as(branched.toString()).isTrue();
            assertThat(Sql.column(t, "projects/dr-a/branches/from-snap/endpoints/primary", "postgres", "SELECT v FROM kept"))
                    .containsExactly("in the snapshot");
            assertThat(Sql.column(t, ep, "postgres", "SELECT v FROM kept ORDER BY v")).containsExactly("after the snapshot", "in the snapshot");
            // deleting it removes its objects from the bucket
            var deleted = t.http("DELETE", "/api/2.0/postgres/projects/dr-a/snapshots/before-kill", null);
            assertThat(deleted.statusCode()).as(deleted.body()).isEqualTo(200);
            t.awaitOperation(JSON.readTree(deleted.body()).get("name").asText(), Duration.ofSeconds(120));
            try (ObjectStore bucket = ObjectStores.open(location, TestBucketEnv.of(s3))) {
                assertThat(bucket.list("projects/" + projectUid + "/branches/snap-")).isEmpty();
            }
        }
    }

    /**
     * A branch from a past time whose snapshots and archived WAL were deleted from the local disk is built from
     * the bucket; the branch status and /metrics show where history lives and how far it has shipped; a purge
     * removes the project's objects.
     */
    @Test
    void branchFromThePastIsServedFromTheBucketWhenLocalHistoryIsGone() throws Exception {
        String location = "s3://oxbow-dr/past";
        Path home = homes.newHome("past");
        ServerConfig config = TestServer.config(home)
                .withBucket(BucketPolicy.at(location, TestBucketEnv.of(s3)).withIntervals(Duration.ofMillis(500), Duration.ofSeconds(1)));
        try (TestServer t = TestServer.start(config); ObjectStore bucket = ObjectStores.open(location, TestBucketEnv.of(s3))) {
            t.awaitOperation(JSON.readTree(t.http("POST", "/api/2.0/postgres/projects?project_id=past-a", "{}").body()).get("name").asText(),
                    Duration.ofSeconds(120));
            var cp = t.server().controlPlane();
            String prod = "projects/past-a/branches/production";
            String ep = prod + "/endpoints/primary";
            Sql.exec(t, ep, "postgres", "CREATE TABLE events (id int primary key)");
            Sql.exec(t, ep, "postgres", "INSERT INTO events VALUES (1)");
            Thread.sleep(1100);
            Instant mark = Instant.now();
            Thread.sleep(1100);
            Sql.exec(t, ep, "postgres", "INSERT INTO events VALUES (2)");
            var project = cp.store().projects().get("projects/past-a").orElseThrow();
            var branch = cp.store().branches().get(prod).orElseThrow();
            String flushed = Sql.column(t, ep, "postgres", "SELECT pg_current_wal_flush_lsn()::text").get(0);
            // shipped past the second row, snapshot uploaded
            awaitTrue(() -> cp.bucket().get().status(branch).map(st -> st.lastShippedLsn() != null
                    && dev.oxbow.compute.Lsn.parse(st.lastShippedLsn()) >= dev.oxbow.compute.Lsn.parse(flushed) && st.backlogFiles() == 0).orElse(false));
            awaitTrue(() -> bucket.list("projects/" + project.uid() + "/branches/" + branch.uid() + "/snapshots/").size() > 0);

            JsonNode status = JSON.readTree(t.http("GET", "/api/2.0/postgres/" + prod, null).body()).path("status").path("history");
            assertThat(status.path("location").asText()).isEqualTo(location);
            assertThat(status.path("object_store_reachable").asBoolean()).isTrue();
            assertThat(status.path("wal_shipped_lsn").asText()).matches("[0-9A-F]+/[0-9A-F]+");
            assertThat(status.path("bucket_wal_bytes").asLong()).isPositive();
            String metrics = t.http("GET", "/metrics", null, t.token()).body();
            assertThat(metrics).contains("oxbow_branch_wal_shipped_lsn").contains("oxbow_object_store_up 1.0");

            // the local history is lost: snapshots and archived WAL
            var layout = cp.config().layout();
            TestHomes.delete(layout.snapshotsDir(project, branch));
            try (var files = Files.list(layout.archiveDir(project, branch))) {
                for (Path f : files.toList()) {
                    Files.delete(f);
                }
            }
            String body = "{\"spec\":{\"source_branch\":\"" + prod + "\",\"source_branch_time\":\"" + mark + "\",\"no_expiry\":true}}";
            var created = t.http("POST", "/api/2.0/postgres/projects/past-a/branches?branch_id=past", body);
            assertThat(created.statusCode()).as(created.body()).isEqualTo(200);
            JsonNode done = t.awaitOperation(JSON.readTree(created.body()).get("name").asText(), Duration.ofSeconds(300));
            assertThat(done.has("response")).as(done.toString()).isTrue();
            assertThat(Sql.column(t, "projects/past-a/branches/past/endpoints/primary", "postgres", "SELECT id FROM events ORDER BY id"))
                    .containsExactly("1");

            var purged = t.http("DELETE", "/api/2.0/postgres/projects/past-a?purge=true", null);
            assertThat(purged.statusCode()).as(purged.body()).isEqualTo(200);
            t.awaitOperation(JSON.readTree(purged.body()).get("name").asText(), Duration.ofSeconds(120));
            assertThat(bucket.list("projects/" + project.uid() + "/")).isEmpty();
        }
    }

    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    static boolean metadataHas(ObjectStore bucket, String text) throws Exception {
        String key = new String(bucket.get("metadata/LATEST").orElseThrow()).strip();
        Path tmp = Files.createTempFile("oxbow-meta", ".db");
        try {
            byte[] stored = bucket.get(key).orElseThrow();
            // encrypted: the bucket alone shows nothing of it
            assertThat(dev.oxbow.controlplane.history.BackupCipher.sealed(stored)).isTrue();
            assertThat(new String(stored, java.nio.charset.StandardCharsets.ISO_8859_1)).doesNotContain(text);
            Files.write(tmp, dev.oxbow.controlplane.history.BackupCipher.of(TestBucketEnv.BACKUP_KEY).open(key, stored));
            try (Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + tmp); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT count(*) FROM sqlite_master")) {
                rs.next();
            }
            return new String(Files.readAllBytes(tmp), java.nio.charset.StandardCharsets.ISO_8859_1).contains(text);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    interface Check {
        boolean ok() throws Exception;
    }

    static void awaitTrue(Check check) throws Exception {
        Instant deadline = Instant.now().plusSeconds(120);
        while (!check.ok()) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("condition not met in 120 s");
            }
            Thread.sleep(200);
        }
    }

    static long count(ObjectStore bucket, String prefix) throws Exception {
        return bucket.list(prefix).stream().map(ObjectInfo::key).count();
    }
}
