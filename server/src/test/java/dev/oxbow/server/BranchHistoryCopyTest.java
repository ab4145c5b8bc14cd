package dev.oxbow.server;

import org.junit.jupiter.api.BeforeAll;

/** Branch history where the filesystem cannot share blocks: every clone is a plain copy. */
class BranchHistoryCopyTest extends BranchHistoryTests {
    @BeforeAll
    static void start() throws Exception {
        startOn(TestServer.newHome("history-copy"));
    }
}
