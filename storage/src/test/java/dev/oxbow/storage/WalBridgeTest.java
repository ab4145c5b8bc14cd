package dev.oxbow.storage;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The joined WAL of a branch point: the parent's before the branch point's segment, the branch's own from it on. */
class WalBridgeTest {
    private static final long SEGMENT = 4L << 20;
    private Path root;

    @BeforeEach
    void setUp() throws Exception {
        root = TestClusters.scratchDir();
        Path wal = Files.createDirectories(root.resolve("snapshot/pgdata/pg_wal"));
        try (RandomAccessFile f = new RandomAccessFile(wal.resolve("000000010000000000000005").toFile(), "rw")) {
            f.setLength(SEGMENT); // the snapshot's segments tell the size
        }
    }

    @AfterEach
    void tearDown() throws Exception {
        TestClusters.deleteTree(root);
    }

    @Test
    void joinsTheParentsSegmentsBeforeTheBranchPointWithTheBranchsOwnAndNamesItsTimeline() throws Exception {
        Path parent = Files.createDirectories(root.resolve("parent"));
        Path branch = Files.createDirectories(root.resolve("branch"));
        for (String name : new String[]{"00000001000000000000003F", "000000010000000100000000.zst", "000000010000000100000001",
                "000000010000000100000002", "00000002.history", "000000010000000100000001.00000028.backup"}) {
            Files.writeString(parent.resolve(name), "parent");
        }
        for (String name : new String[]{"000000010000000100000001", "000000010000000100000002.zst", "archive_status"}) {
            Files.writeString(branch.resolve(name), "branch");
        }
        // 4 MB segments: 1024 per log, so LSN 1/400000 starts log 1, segment 1
        long branchPoint = 0x1_0040_0000L;
        Path joined = root.resolve("joined");
        String timeline = WalBridge.link(TestClusters.identity(), parent, branch, branchPoint, root.resolve("snapshot/pgdata"), joined);

        assertThat(timeline).isEqualTo("00000001");
        assertThat(joined.resolve("00000001000000000000003F")).hasContent("parent");
        assertThat(joined.resolve("000000010000000100000000.zst")).hasContent("parent");
        assertThat(joined.resolve("00000002.history")).hasContent("parent");
        assertThat(joined.resolve("000000010000000100000001")).hasContent("branch");
        assertThat(joined.resolve("000000010000000100000002.zst")).hasContent("branch");
        assertThat(joined.resolve("000000010000000100000002")).as("the parent's own later WAL is not the branch's").doesNotExist();
        assertThat(joined.resolve("000000010000000100000001.00000028.backup")).doesNotExist();
        assertThat(joined.resolve("archive_status")).doesNotExist();
        assertThat(Files.getAttribute(joined.resolve("000000010000000100000001"), "unix:ino"))
                .isEqualTo(Files.getAttribute(branch.resolve("000000010000000100000001"), "unix:ino"));
        try (Stream<Path> files = Files.list(joined)) {
            assertThat(files.count()).isEqualTo(5);
        }
        assertThat(WalBridge.segmentOf(branchPoint, root.resolve("snapshot/pgdata"))).isEqualTo("000000000000000100000001");
        assertThat(WalBridge.segmentOf(branchPoint + 100, root.resolve("snapshot/pgdata"))).isEqualTo("000000000000000100000001");
    }

    @Test
    void refusesWhenTheBranchHasNotArchivedTheSegmentOfItsBranchPoint() throws IOException {
        Path parent = Files.createDirectories(root.resolve("parent"));
        Path branch = Files.createDirectories(root.resolve("branch"));
        Files.writeString(parent.resolve("000000010000000000000004"), "parent");
        assertThatThrownBy(() -> WalBridge.link(TestClusters.identity(), parent, branch, 5 * SEGMENT, root.resolve("snapshot/pgdata"), root.resolve("j")))
                .isInstanceOf(IOException.class).hasMessageContaining("lacks the segment");
    }
}
