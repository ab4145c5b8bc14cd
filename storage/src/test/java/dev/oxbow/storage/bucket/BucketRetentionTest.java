package dev.oxbow.storage.bucket;

import dev.oxbow.storage.Snapshot;
import dev.oxbow.storage.object.ObjectInfo;
import dev.oxbow.storage.object.ObjectStore;
import dev.oxbow.storage.object.S3ObjectStore;
import dev.oxbow.storage.object.S3Settings;
import dev.oxbow.storage.object.TestS3Server;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Retention in a real S3 server (S3Proxy through the AWS SDK): a parent branch with three snapshots and WAL,
 * a child whose snapshot shares pieces with the parent's oldest one. Pruning the parent past its window
 * removes the old snapshot, the WAL before the oldest kept snapshot and the pieces only it named, keeps what
 * the child names, keeps a young unnamed piece (an upload in progress), and purging the child removes its objects.
 */
class BucketRetentionTest {
    @TempDir
    static Path tmp;
    static TestS3Server server;
    static ObjectStore bucket;

    @BeforeAll
    static void start() throws Exception {
        server = TestS3Server.start(Files.createDirectories(tmp.resolve("s3")), "retention");
        bucket = new S3ObjectStore(S3Settings.of(URI.create("s3://retention/oxbow"), server.env()));
    }

    @AfterAll
    static void stop() throws Exception {
        bucket.close();
        server.close();
    }

    /** A snapshot directory whose pgdata holds the given files (each one piece of distinct bytes). */
    private static Snapshot snapshot(String name, String lsn, Instant time, String startSegment, String... files) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("snaps").resolve(name));
        Path pgdata = Files.createDirectories(dir.resolve("pgdata"));
        for (String f : files) {
            byte[] bytes = new byte[4096];
            Arrays.fill(bytes, (byte) f.hashCode());
            System.arraycopy(f.getBytes(), 0, bytes, 0, f.length());
            Files.write(pgdata.resolve(f.replace('/', '_')), bytes);
        }
        return new Snapshot(dir, lsn, time, startSegment);
    }

    private static Set<String> keys(String prefix) throws Exception {
        return bucket.list(prefix).stream().map(ObjectInfo::key).collect(Collectors.toSet());
    }

    private static Set<String> chunksOf(String prefix) throws Exception {
        return keys(prefix);
    }

    @Test
    void pruningFollowsTheWindowKeepsWhatAChildNamesAndPurgeRemovesTheBranch() throws Exception {
        BucketLayout parent = new BucketLayout("prj-r", "parent");
        BucketLayout child = new BucketLayout("prj-r", "child");
        SnapshotTransfer transfer = new SnapshotTransfer(bucket);
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        transfer.upload(parent, snapshot("p0", "0/1000028", t0, "000000010000000000000001", "shared", "only-p0"));
        Set<String> afterP0 = chunksOf(parent.chunks());
        transfer.upload(parent, snapshot("p1", "0/3000028", t0.plusSeconds(3600), "000000010000000000000003", "shared", "p1"));
        transfer.upload(parent, snapshot("p2", "0/5000028", t0.plusSeconds(7200), "000000010000000000000005", "shared", "p2"));
        // the child branched from the parent's first state: its snapshot shares both of p0's files
        transfer.upload(child, snapshot("c0", "0/1000100", t0.plusSeconds(60), "000000020000000000000001", "shared", "only-p0"));
        for (String seg : List.of("000000010000000000000001", "000000010000000000000002", "000000010000000000000003", "000000010000000000000004")) {
            bucket.put(parent.wal() + seg + ".zst", seg.getBytes());
        }
        bucket.put(parent.wal() + "00000001.history", "history".getBytes());
        bucket.put(parent.walTail() + "000000010000000000000002/00000000-00001000", new byte[4096]);
        bucket.put(parent.walTail() + "000000010000000000000005/00000000-00001000", new byte[4096]);
        String orphan = parent.chunks() + "0".repeat(64); // an upload in progress: no manifest names it yet
        bucket.put(orphan, new byte[16]);

        // the window starts between p1 and p2: p1 is the newest snapshot at or before it, so p1 and p2 stay
        Instant horizon = t0.plusSeconds(5400);
        Clock now = Clock.fixed(Instant.now(), ZoneOffset.UTC);
        BucketRetention retention = new BucketRetention(bucket, transfer, Duration.ofHours(1), now);
        BucketRetention.Pruned pruned = retention.prune(parent, horizon);

        assertThat(transfer.list(parent)).extracting(SnapshotTransfer.Remote::name).containsExactly("p1", "p2");
        assertThat(pruned.snapshots()).isEqualTo(1);
        assertThat(keys(parent.wal())).containsExactlyInAnyOrder(parent.wal() + "000000010000000000000003.zst",
                parent.wal() + "000000010000000000000004.zst", parent.wal() + "00000001.history");
        assertThat(keys(parent.walTail())).containsExactly(parent.walTail() + "000000010000000000000005/00000000-00001000");
        assertThat(pruned.walObjects()).isEqualTo(3);
        // p0's pieces are all named by the child's snapshot; the young orphan is an upload in progress
        assertThat(chunksOf(parent.chunks())).containsAll(afterP0).contains(orphan);
        assertThat(pruned.chunks()).isZero();

        // the child is purged: its objects go, and so do the pieces nobody names any more (p0's own file)
        Clock later = Clock.fixed(Instant.now().plus(Duration.ofHours(2)), ZoneOffset.UTC);
        BucketRetention laterRetention = new BucketRetention(bucket, transfer, Duration.ofHours(1), later);
        laterRetention.removeBranch(child);
        assertThat(keys(child.branch())).isEmpty();
        Set<String> referenced = transfer.referencedChunks("prj-r");
        assertThat(chunksOf(parent.chunks())).isEqualTo(referenced).doesNotContain(orphan);
        assertThat(afterP0).anyMatch(k -> !referenced.contains(k)); // only-p0's piece was collected
        // and what is left still restores: p1 downloads with every piece verified
        Path restored = Files.createDirectories(tmp.resolve("restored"));
        Path dir = transfer.download(parent, "p1", restored, dev.oxbow.compute.ProcessIdentity.detect("postgres"));
        assertThat(Files.readAllBytes(dir.resolve("pgdata/shared"))).startsWith("shared".getBytes());
    }

    @Test
    void aBranchWithoutSnapshotsKeepsAllItsWal() throws Exception {
        BucketLayout lone = new BucketLayout("prj-w", "lone");
        bucket.put(lone.wal() + "000000010000000000000001.zst", new byte[1]);
        BucketRetention retention = new BucketRetention(bucket, new SnapshotTransfer(bucket), Duration.ofHours(1), Clock.systemUTC());
        assertThat(retention.prune(lone, Instant.now()).any()).isFalse();
        assertThat(keys(lone.wal())).hasSize(1);
    }
}
