package dev.oxbow.storage.bucket;

import dev.oxbow.compute.ProcessIdentity;
import dev.oxbow.storage.Snapshot;
import dev.oxbow.storage.object.LocalObjectStore;
import dev.oxbow.storage.object.ObjectStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * How a snapshot is cut into pieces, on a local object store (no PostgreSQL): a changed 8 KiB page re-sends one
 * 128 KiB piece, not the file; repeated pieces go up once; an online backup's WAL segment is kept up to the
 * snapshot's LSN and zeroed after it (so the recycled rest costs nothing); everything downloads as it was.
 */
class SnapshotPiecesTest {
    private static final int SEGMENT = 4 << 20;
    private static final String SEGMENT_NAME = "000000010000000000000003"; // starts at 0/C00000
    @TempDir
    Path tmp;

    private Snapshot snapshot(String name, String lsn, byte[] relation, byte[] wal, boolean onlineBackup) throws Exception {
        Path dir = tmp.resolve("snaps").resolve(name);
        Path pgdata = Files.createDirectories(dir.resolve("pgdata"));
        Files.createDirectories(pgdata.resolve("base/5"));
        Files.createDirectories(pgdata.resolve("pg_wal"));
        Files.write(pgdata.resolve("base/5/16384"), relation);
        Files.write(pgdata.resolve("pg_wal").resolve(SEGMENT_NAME), wal);
        if (onlineBackup) {
            Files.writeString(pgdata.resolve("backup_label"), "START WAL LOCATION: 0/C00028 (file " + SEGMENT_NAME + ")\n");
        }
        return new Snapshot(dir, lsn, Instant.parse("2026-01-01T00:00:00Z"), SEGMENT_NAME);
    }

    @Test
    void aChangedPageResendsOnePieceAndWalPastTheSnapshotIsZeroed() throws Exception {
        byte[] relation = new byte[1 << 20]; // eight pieces, two of them all zeros
        new Random(1).nextBytes(relation);
        Arrays.fill(relation, 3 * SnapshotTransfer.CHUNK, 5 * SnapshotTransfer.CHUNK, (byte) 0);
        byte[] wal = new byte[SEGMENT];
        new Random(2).nextBytes(wal); // a recycled segment: old WAL everywhere
        try (ObjectStore store = new LocalObjectStore(tmp.resolve("bucket"))) {
            BucketLayout layout = new BucketLayout("prj-p", "br-p");
            SnapshotTransfer transfer = new SnapshotTransfer(store);
            // LSN 0/C10000: 64 KiB into the segment
            SnapshotTransfer.Uploaded first = transfer.upload(layout, snapshot("s1", "0/C10000", relation, wal, true));
            // relation: 7 distinct pieces (the zero pair once); WAL: one piece of kept bytes, the zeroed rest is the
            // relation's zero piece again; backup_label: one
            assertThat(first.chunksSent()).isEqualTo(7 + 1 + 1);

            byte[] changed = relation.clone();
            changed[6 * SnapshotTransfer.CHUNK + 8192] ^= 1; // one page
            SnapshotTransfer.Uploaded second = transfer.upload(layout, snapshot("s2", "0/C10000", changed, wal, true));
            assertThat(second.chunksSent()).isEqualTo(1);
            assertThat(second.bytesSent()).isEqualTo(SnapshotTransfer.CHUNK);

            Path restored = transfer.download(layout, "s1", Files.createDirectories(tmp.resolve("restored")), ProcessIdentity.detect("postgres"));
            assertThat(Files.readAllBytes(restored.resolve("pgdata/base/5/16384"))).isEqualTo(relation);
            byte[] walBack = Files.readAllBytes(restored.resolve("pgdata/pg_wal").resolve(SEGMENT_NAME));
            assertThat(walBack).hasSize(SEGMENT);
            assertThat(Arrays.copyOf(walBack, 0x10000)).isEqualTo(Arrays.copyOf(wal, 0x10000));
            assertThat(Arrays.copyOfRange(walBack, 0x10000, SEGMENT)).containsOnly((byte) 0);

            // a stopped cluster's snapshot (no backup_label) keeps its WAL whole: its LSN is a checkpoint's start
            Path stopped = transfer.download(layout, transfer.upload(layout, snapshot("s3", "0/C10000", relation, wal, false)).name(),
                    tmp.resolve("restored"), ProcessIdentity.detect("postgres"));
            assertThat(Files.readAllBytes(stopped.resolve("pgdata/pg_wal").resolve(SEGMENT_NAME))).isEqualTo(wal);
        }
    }
}
