package dev.oxbow.server;

import java.nio.file.Path;

/** Branch history where the filesystem cannot share blocks: every clone is a plain copy. */
class BranchHistoryCopyTest extends BranchHistoryTests {
    @Override
    Path newHome() throws Exception {
        return homes.newHome("history-copy");
    }
}
