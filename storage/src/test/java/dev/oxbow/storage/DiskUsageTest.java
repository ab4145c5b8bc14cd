package dev.oxbow.storage;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Each block once: hard links on any filesystem, reflinked copies on a copy-on-write one ({@code OXBOW_COW_DIR},
 * the XFS CI step 2 mounts; there the reflink case runs, and OXBOW_REQUIRE_COW makes its absence a failure).
 */
class DiskUsageTest {
    private static final int MB = 1 << 20;

    private static void write(Path file, int bytes, long seed) throws Exception {
        byte[] data = new byte[bytes];
        new Random(seed).nextBytes(data);
        Files.write(file, data);
    }

    @Test
    void hardLinksCountOnceAndCopiesTwice(@TempDir Path dir) throws Exception {
        write(dir.resolve("a"), 2 * MB, 1);
        Files.createLink(dir.resolve("a-link"), dir.resolve("a"));
        Files.createDirectories(dir.resolve("sub"));
        Files.copy(dir.resolve("a"), dir.resolve("sub/a-copy"));
        long bytes = DiskUsage.bytes(dir);
        // on XFS the copy may itself be a reflink (cp is not used here: Files.copy writes the bytes), so 4 MB either way
        assertThat(bytes).isBetween(4L * MB, 4L * MB + 64 * 1024);
        assertThat(DiskUsage.bytes(dir.resolve("missing"))).isZero();
    }

    @Test
    void reflinkedCopiesShareTheirBlocks() throws Exception {
        String cow = System.getenv("OXBOW_COW_DIR");
        if (cow == null && System.getenv("OXBOW_REQUIRE_COW") != null) {
            throw new IllegalStateException("OXBOW_REQUIRE_COW is set but OXBOW_COW_DIR is not: run scripts/cow-storage");
        }
        Assumptions.assumeTrue(cow != null, "OXBOW_COW_DIR is not set: no copy-on-write filesystem to test on");
        Path dir = Files.createTempDirectory(Path.of(cow), "disk-usage-");
        try {
            write(dir.resolve("base"), 4 * MB, 2);
            for (int i = 0; i < 3; i++) {
                Process cp = new ProcessBuilder("cp", "--reflink=always", dir.resolve("base").toString(), dir.resolve("clone" + i).toString())
                        .inheritIO().start();
                assertThat(cp.waitFor()).isZero();
            }
            // one clone diverges in its first MB: that MB is its own, the rest still shared
            try (var ch = java.nio.channels.FileChannel.open(dir.resolve("clone0"), java.nio.file.StandardOpenOption.WRITE)) {
                byte[] fresh = new byte[MB];
                new Random(3).nextBytes(fresh);
                ch.write(java.nio.ByteBuffer.wrap(fresh), 0);
                ch.force(true);
            }
            long bytes = DiskUsage.bytes(dir);
            // 4 MB shared + 1 MB diverged, not 16 MB
            assertThat(bytes).isBetween(5L * MB, 5L * MB + 256 * 1024);
        } finally {
            List<Path> all = new ArrayList<>();
            try (var s = Files.walk(dir)) {
                s.forEach(all::add);
            }
            for (int i = all.size() - 1; i >= 0; i--) {
                Files.deleteIfExists(all.get(i));
            }
        }
    }

    @Test
    void overlappingRangesCountOnce() {
        List<long[]> ranges = new ArrayList<>(List.of(new long[] {0, 10}, new long[] {5, 15}, new long[] {20, 30}, new long[] {20, 25}));
        assertThat(DiskUsage.union(ranges)).isEqualTo(25);
        assertThat(DiskUsage.union(new ArrayList<>())).isZero();
    }
}
