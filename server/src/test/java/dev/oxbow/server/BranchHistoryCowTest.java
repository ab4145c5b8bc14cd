package dev.oxbow.server;

import dev.oxbow.storage.CloneStrategy;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Branch history on a copy-on-write filesystem (reflinks): {@code OXBOW_COW_DIR} names a directory on
 * one, as {@code scripts/cow-storage} makes it. CI must provide it; elsewhere the class is skipped.
 */
class BranchHistoryCowTest extends BranchHistoryTests {
    static Path cowRoot() {
        String dir = System.getenv("OXBOW_COW_DIR");
        if (dir == null || dir.isBlank()) {
            if ("true".equals(System.getenv("CI"))) {
                throw new IllegalStateException("CI must test the copy-on-write path: run scripts/cow-storage and set OXBOW_COW_DIR");
            }
            Assumptions.abort("OXBOW_COW_DIR is not set: no copy-on-write filesystem to test on (scripts/cow-storage makes one)");
        }
        return Path.of(dir);
    }

    @BeforeAll
    static void start() throws Exception {
        Path home = Files.createTempDirectory(cowRoot(), "oxbow-history-cow-");
        TestServer.removeAtExit(home);
        startOn(home);
    }

    @Test
    void clonesShareBlocksOnThisFilesystem() throws Exception {
        assertThat(CloneStrategy.detect(t.home()).id()).isNotEqualTo("copy");
    }
}
