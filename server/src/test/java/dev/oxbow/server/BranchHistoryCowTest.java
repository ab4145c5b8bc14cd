package dev.oxbow.server;

import dev.oxbow.storage.CloneStrategy;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Branch history on a copy-on-write filesystem (reflinks): {@code OXBOW_COW_DIR} names a directory on
 * one, as {@code scripts/cow-storage} makes it. Without it the class is skipped (a newcomer's machine); CI runs it in a
 * step of its own with {@code OXBOW_REQUIRE_COW=true}, where a missing directory is an error.
 */
class BranchHistoryCowTest extends BranchHistoryTests {
    static Path cowRoot() {
        String dir = System.getenv("OXBOW_COW_DIR");
        if (dir == null || dir.isBlank()) {
            if ("true".equals(System.getenv("OXBOW_REQUIRE_COW"))) {
                throw new IllegalStateException("OXBOW_REQUIRE_COW is set: this run must test the copy-on-write path: run scripts/cow-storage and set OXBOW_COW_DIR");
            }
            Assumptions.abort("OXBOW_COW_DIR is not set: no copy-on-write filesystem to test on (scripts/cow-storage makes one)");
        }
        return Path.of(dir);
    }

    @Override
    Path newHome() throws Exception {
        return homes.newHomeUnder(cowRoot(), "history-cow");
    }

    @Test
    void clonesShareBlocksOnThisFilesystem() throws Exception {
        assertThat(CloneStrategy.detect(t.home()).id()).isNotEqualTo("copy");
    }
}
