package dev.oxbow.server;

import dev.oxbow.storage.object.PutHold;
import dev.oxbow.storage.object.TestS3Server;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.oxbow.compute.PgConnections;
import dev.oxbow.controlplane.history.BucketPolicy;
import dev.oxbow.controlplane.resource.Defaults;
import dev.oxbow.controlplane.resource.Layout;
import dev.oxbow.compute.Lsn;
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
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import static dev.oxbow.server.ObjectStoreRecoveryTest.awaitTrue;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The object store failing under a running Oxbow, against a real S3 server (S3Proxy through the AWS SDK):
 * the bucket goes away while writes continue (issue 17, test 4); a synchronous_wal project's Oxbow is killed -9
 * in the middle of a snapshot upload, restarted, killed again amid commits, and restored from the bucket alone
 * (tests 5 and 6).
 */
@Timeout(600)
class ObjectStoreFaultsTest {
    @RegisterExtension
    static final TestHomes homes = new TestHomes();
    private static final ObjectMapper JSON = new ObjectMapper();
    static TestS3Server s3;

    @BeforeAll
    static void startS3() throws Exception {
        s3 = TestS3Server.start(homes.newHome("s3"), "oxbow-faults");
    }

    @AfterAll
    static void stopS3() throws Exception {
        s3.close();
    }

    private static JsonNode history(TestServer t, String branch) throws Exception {
        return JSON.readTree(t.http("GET", "/api/2.0/postgres/" + branch, null).body()).path("status").path("history");
    }

    /**
     * Writes continue while the bucket is down; the status, /metrics and the log say so; API calls (a branch
     * from the past included) still complete from the local copy; when the bucket returns the backlog ships
     * and the bucket holds every segment and the WAL up to the last commit.
     */
    @Test
    void theBucketGoesAwayWritesContinueAndTheBacklogShipsWhenItReturns() throws Exception {
        String location = "s3://oxbow-faults/outage";
        ServerConfig config = TestServer.config(homes.newHome("outage"))
                .withBucket(BucketPolicy.at(location, TestBucketEnv.of(s3)).withIntervals(Duration.ofMillis(300), Duration.ofSeconds(1)));
        try (TestServer t = TestServer.start(config); ObjectStore bucket = ObjectStores.open(location, TestBucketEnv.of(s3))) {
            t.awaitOperation(JSON.readTree(t.http("POST", "/api/2.0/postgres/projects?project_id=outage", "{}").body()).get("name").asText(),
                    Duration.ofSeconds(120));
            var cp = t.server().controlPlane();
            String prod = "projects/outage/branches/production";
            String ep = prod + "/endpoints/primary";
            Sql.exec(t, ep, "postgres", "CREATE TABLE t (id int primary key)");
            Sql.exec(t, ep, "postgres", "INSERT INTO t VALUES (1)");
            var project = cp.store().projects().get("projects/outage").orElseThrow();
            var branch = cp.store().branches().get(prod).orElseThrow();
            awaitTrue(() -> !bucket.list("projects/" + project.uid() + "/branches/" + branch.uid() + "/snapshots/").isEmpty());

            s3.down();
            Instant beforeOutageWrites = Instant.now();
            // writes continue: rows, and a completed segment that only the local archive holds for now
            for (int i = 2; i <= 50; i++) {
                Sql.exec(t, ep, "postgres", "INSERT INTO t VALUES (" + i + ")");
            }
            Sql.exec(t, ep, "postgres", "SELECT pg_switch_wal()");
            Sql.exec(t, ep, "postgres", "INSERT INTO t SELECT g FROM generate_series(51, 100) g");
            awaitTrue(() -> {
                JsonNode h = history(t, prod);
                return !h.path("object_store_reachable").asBoolean(true) && h.path("wal_backlog_files").asInt() > 0;
            });
            JsonNode down = history(t, prod);
            assertThat(down.path("last_error").asText()).isNotBlank();
            assertThat(t.http("GET", "/metrics", null, t.token()).body()).contains("oxbow_object_store_up 0.0");
            // the API does not wait on the bucket: a branch from the past is built from the local history
            String body = "{\"spec\":{\"source_branch\":\"" + prod + "\",\"source_branch_time\":\"" + beforeOutageWrites + "\",\"no_expiry\":true}}";
            var created = t.http("POST", "/api/2.0/postgres/projects/outage/branches?branch_id=during", body);
            assertThat(created.statusCode()).as(created.body()).isEqualTo(200);
            JsonNode done = t.awaitOperation(JSON.readTree(created.body()).get("name").asText(), Duration.ofSeconds(300));
            assertThat(done.has("response")).as(done.toString()).isTrue();
            assertThat(Sql.column(t, "projects/outage/branches/during/endpoints/primary", "postgres", "SELECT count(*) FROM t")).containsExactly("1");

            String flushed = Sql.column(t, ep, "postgres", "SELECT pg_current_wal_flush_lsn()::text").get(0);
            s3.up();
            awaitTrue(() -> {
                JsonNode h = history(t, prod);
                return h.path("object_store_reachable").asBoolean() && h.path("wal_backlog_files").asInt() == 0
                        && Lsn.parse(h.path("wal_shipped_lsn").asText("0/0")) >= Lsn.parse(flushed);
            });
            assertThat(t.http("GET", "/metrics", null, t.token()).body()).contains("oxbow_object_store_up 1.0");
            // nothing lost: every segment the local archive holds is in the bucket
            Path archive = cp.config().layout().archiveDir(project, branch);
            Set<String> local;
            try (var files = Files.list(archive)) {
                local = files.map(f -> f.getFileName().toString()).filter(n -> n.matches("[0-9A-F]{24}(\\.zst)?")).collect(Collectors.toSet());
            }
            String walPrefix = "projects/" + project.uid() + "/branches/" + branch.uid() + "/wal/";
            Set<String> remote = bucket.list(walPrefix).stream().map(o -> o.key().substring(walPrefix.length())).collect(Collectors.toSet());
            assertThat(local).isNotEmpty();
            assertThat(remote).containsAll(local);
        }
    }

    /**
     * A synchronous_wal project (test 6) whose Oxbow is killed -9 while a snapshot's pieces are going up (test 5):
     * the bucket holds pieces but no manifest for it (nothing a restore would trust); after a restart the upload
     * completes, reusing the pieces. Then commits run in a tight loop and Oxbow and the compute are killed -9 in
     * the middle of them, the home is deleted, and a restore from the bucket alone has every row and every
     * acknowledged commit: none is lost.
     */
    @Test
    void synchronousProjectKilledDuringASnapshotUploadResumedKilledAgainAndRestoredWithNothingLost() throws Exception {
        String location = "s3://oxbow-faults/killed-upload";
        Map<String, String> env = new HashMap<>(TestBucketEnv.of(s3));
        env.put("OXBOW_OBJECT_STORE", location);
        env.put("OXBOW_WAL_SHIP_INTERVAL_MS", "500");
        env.put("OXBOW_BUCKET_UPLOAD_INTERVAL_MS", "500");
        env.put("OXBOW_SNAPSHOT_WAL_BYTES", String.valueOf(12L << 20));
        env.put("OXBOW_HISTORY_CHECK_MS", "1000");
        Path home = homes.newHome("killed-upload");
        ChildServer child = ChildServer.start(home, env);
        JsonNode created = child.run("POST", "/api/2.0/postgres/projects?project_id=ku", "{\"spec\":{\"synchronous_wal\":true}}");
        assertThat(created.path("response").path("status").path("synchronous_wal").asBoolean()).as(created.toString()).isTrue();
        JsonNode endpoint = child.call("GET", "/api/2.0/postgres/projects/ku/branches/production/endpoints/primary", null);
        Path socket = new Layout(home).socketDir(endpoint.path("uid").asText());
        JsonNode project = child.call("GET", "/api/2.0/postgres/projects/ku", null);
        JsonNode branch = child.call("GET", "/api/2.0/postgres/projects/ku/branches/production", null);
        String snapshots = "projects/" + project.path("uid").asText() + "/branches/" + branch.path("uid").asText() + "/snapshots/";
        String chunks = "projects/" + project.path("uid").asText() + "/chunks/";
        Set<Integer> acknowledged = ConcurrentHashMap.newKeySet();
        try (ObjectStore bucket = ObjectStores.open(location, TestBucketEnv.of(s3))) {
            awaitTrue(() -> bucket.list(snapshots).size() == 1); // the branch's first snapshot
            awaitTrue(() -> bucket.exists("metadata/LATEST") && ObjectStoreRecoveryTest.metadataHas(bucket, "\"synchronousWal\":true"));
            int chunksBefore = bucket.list(chunks).size();
            // the next snapshot's first eight pieces go up (every piece put from here on is new: known ones are skipped),
            // the rest are held at the bucket, unanswered: the kill -9 below lands while its upload is under way, before
            // its manifest, whatever the upload's speed (it once finished before a kill that raced it)
            AtomicInteger piecesPut = new AtomicInteger();
            try (PutHold upload = s3.holdPuts(key -> key.contains(chunks) && piecesPut.incrementAndGet() > 8)) {
                try (Connection c = PgConnections.open(socket, "postgres", Defaults.SYSTEM_ROLE); Statement st = c.createStatement()) {
                    // the primary waits for Oxbow's WAL receiver, which streams as its synchronous standby
                    awaitTrue(() -> {
                        try (ResultSet rs = st.executeQuery("SELECT sync_state FROM pg_stat_replication WHERE application_name = 'oxbow_wal_receiver'")) {
                            return rs.next() && rs.getString(1).equals("sync");
                        }
                    });
                    try (ResultSet rs = st.executeQuery("SHOW synchronous_standby_names")) {
                        rs.next();
                        assertThat(rs.getString(1)).isEqualTo("oxbow_wal_receiver");
                    }
                    // ~24 MB of incompressible rows: WAL past the snapshot threshold, and pieces to upload
                    st.execute("CREATE TABLE big (id int primary key, pad text)");
                    st.execute("INSERT INTO big SELECT g, (SELECT string_agg(md5(g::text || ':' || k), '') FROM generate_series(1, 30) k)"
                            + " FROM generate_series(1, 25000) g");
                }
                upload.awaitHeld(Duration.ofSeconds(120));
                awaitTrue(() -> bucket.list(chunks).size() > chunksBefore);
                child.kill();
            }
            assertThat(bucket.list(snapshots)).as("the killed upload wrote no manifest").hasSize(1);
            assertThat(bucket.list(chunks).size()).as("the killed upload left pieces").isGreaterThan(chunksBefore);
            killComputes(home);

            // restart on the same home: the upload resumes and completes, reusing the pieces already there
            ChildServer again = ChildServer.start(home, env);
            awaitTrue(() -> bucket.list(snapshots).size() > 1);
            awaitTrue(() -> {
                try (Connection probe = PgConnections.open(socket, "postgres", Defaults.SYSTEM_ROLE)) {
                    return true;
                } catch (java.sql.SQLException notYet) {
                    return false; // the compute comes back with the restarted server
                }
            });
            // commits one after another, each acknowledged before the next; the machine dies in the middle of them
            Thread writer = Thread.ofPlatform().start(() -> {
                try (Connection c = PgConnections.open(socket, "postgres", Defaults.SYSTEM_ROLE); Statement st = c.createStatement()) {
                    for (int id = -1; ; id--) {
                        st.execute("INSERT INTO big VALUES (" + id + ", 'acknowledged')");
                        acknowledged.add(id);
                    }
                } catch (Exception dies) {
                    // the kill below ends the stream
                }
            });
            awaitTrue(() -> acknowledged.size() >= 100);
            again.kill();
            killComputes(home);
            writer.join(60_000);
            assertThat(writer.isAlive()).isFalse();
            awaitTrue(() -> {
                TestHomes.delete(home);
                return !Files.exists(home);
            });
        }

        ServerConfig restored = TestServer.config(homes.newHome("killed-upload-restored")).withBucket(BucketPolicy.at(location, TestBucketEnv.of(s3)).withRestore(true));
        try (TestServer t = TestServer.start(restored)) {
            String ep = "projects/ku/branches/production/endpoints/primary";
            var store = t.server().controlPlane().store();
            ReaperTest.awaitTrue(() -> t.server().controlPlane().computes().running(store.endpoints().get(ep).orElseThrow()));
            assertThat(Sql.column(t, ep, "postgres", "SELECT count(*) FROM big WHERE id > 0")).containsExactly("25000");
            Set<Integer> present = new HashSet<>();
            for (String id : Sql.column(t, ep, "postgres", "SELECT id FROM big WHERE id < 0")) {
                present.add(Integer.parseInt(id));
            }
            Set<Integer> lost = new HashSet<>(acknowledged);
            lost.removeAll(present);
            System.out.println("synchronous WAL: acknowledged=" + acknowledged.size() + " restored=" + present.size() + " lost=" + lost.size());
            assertThat(lost).as("acknowledged commits missing after the restore").isEmpty();
        }
    }

    private static void killComputes(Path home) throws Exception {
        for (long pid : Processes.postgresUnder(home)) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
        awaitTrue(() -> Processes.postgresUnder(home).isEmpty());
    }
}
