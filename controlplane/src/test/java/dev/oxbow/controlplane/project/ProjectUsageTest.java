package dev.oxbow.controlplane.project;

import dev.oxbow.controlplane.testing.Fixture;
import dev.oxbow.metadata.Branch;
import dev.oxbow.metadata.Project;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** ProjectStatus' compute_last_active_time and synthetic_storage_size_bytes (they were never filled, and always 0). */
class ProjectUsageTest {
    @TempDir
    Path dir;

    private Fixture f;
    private ProjectUsage usage;
    private Project project;
    private Branch production;

    @BeforeEach
    void setUp() {
        f = new Fixture(dir);
        usage = new ProjectUsage(f.store, f.layout, f.clock);
        project = f.project("p1");
        production = f.rootBranch(project, "production");
    }

    @AfterEach
    void tearDown() {
        f.close();
    }

    @Test
    void theStorageSizeCountsEveryFileOnceAndIsRemeasuredAfterAMinute() throws Exception {
        Path data = f.layout.dataDir(project, production);
        Files.createDirectories(data);
        Files.write(data.resolve("a"), new byte[1000]);
        Files.createLink(data.resolve("a-link"), data.resolve("a")); // the same blocks: once
        Path snap = f.layout.projectSnapshotDir(project, "snap-x").resolve("pgdata");
        Files.createDirectories(snap);
        Files.write(snap.resolve("b"), new byte[500]);
        assertThat(usage.storageBytes(project)).isEqualTo(1500);

        Files.write(data.resolve("c"), new byte[250]);
        assertThat(usage.storageBytes(project)).as("measured at most once a minute").isEqualTo(1500);
        f.clock.advance(ProjectUsage.SIZE_MAX_AGE.plusSeconds(1));
        assertThat(usage.storageBytes(project)).isEqualTo(1750);
    }

    @Test
    void lastActiveIsNowWhileAComputeRunsElseWhenOneLastDid() {
        assertThat(usage.computeLastActiveTime(project)).isEmpty();
        var primary = f.primary(project, production, 0.5, 4, 300, dev.oxbow.metadata.EndpointState.ACTIVE);
        assertThat(usage.computeLastActiveTime(project)).contains(f.clock.instant());
        var became = f.clock.instant();
        f.store.endpoints().put(primary.withState(dev.oxbow.metadata.EndpointState.ACTIVE, became).withState(dev.oxbow.metadata.EndpointState.IDLE, became));
        f.clock.advance(Duration.ofHours(2));
        assertThat(usage.computeLastActiveTime(project)).contains(became);
    }
}
