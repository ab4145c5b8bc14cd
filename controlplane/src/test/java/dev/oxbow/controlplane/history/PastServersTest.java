package dev.oxbow.controlplane.history;

import dev.oxbow.controlplane.testing.Fixture;
import dev.oxbow.controlplane.testing.ServiceFixture;
import dev.oxbow.metadata.Project;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Crash consistency of time travel: what a killed process left (servers, directories) is gone after the next start's sweep. */
class PastServersTest {
    @TempDir
    Path dir;
    Fixture f;
    PastServers servers;

    @BeforeEach
    void setUp() {
        f = new Fixture(dir);
        servers = new PastServers(new Timelines(f.store, f.computes, ServiceFixture.cloner(), f.layout, f.clock), f.computes,
                ServiceFixture.cloner(), f.layout);
    }

    @AfterEach
    void tearDown() {
        f.close();
    }

    @Test
    void theSweepStopsOrphanedServersAndDeletesEveryTimeTravelDirectory() throws Exception {
        Project a = f.project("a");
        Project b = f.project("b");
        Path left = f.layout.pastComputesDir(a).resolve("tt-000000000001");
        Files.createDirectories(left.resolve("pgdata"));
        Files.writeString(left.resolve("pgdata").resolve("postmaster.pid"), "12345\n");
        Files.createDirectories(f.layout.pastComputesDir(a).resolve("tt-000000000002").resolve("log"));
        Path branchData = f.layout.dataDir(a, f.rootBranch(a, "production"));
        Files.createDirectories(branchData);

        servers.sweep(List.of(a, b));

        assertThat(f.runtime.calls).contains("stopOrphan " + left.resolve("pgdata"));
        assertThat(f.layout.pastComputesDir(a)).isEmptyDirectory();
        assertThat(branchData).as("a branch's own data is no time-travel directory").isDirectory();
    }

    @Test
    void removeStopsTheServerAndDeletesItsFiles() throws Exception {
        Project a = f.project("a");
        Path mine = f.layout.pastComputesDir(a).resolve("tt-0000000000aa");
        Files.createDirectories(mine.resolve("pgdata"));
        Files.createDirectories(f.layout.socketDir("tt-0000000000aa"));
        f.runtime.markRunning("tt-0000000000aa");
        servers.remove(a, "tt-0000000000aa");
        assertThat(f.runtime.isRunning("tt-0000000000aa")).isFalse();
        assertThat(mine).doesNotExist();
        assertThat(f.layout.socketDir("tt-0000000000aa")).doesNotExist();
    }
}
