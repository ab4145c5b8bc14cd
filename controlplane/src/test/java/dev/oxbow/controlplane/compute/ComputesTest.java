package dev.oxbow.controlplane.compute;

import dev.oxbow.metadata.EndpointState;
import dev.oxbow.controlplane.resource.Defaults;
import dev.oxbow.controlplane.resource.Specs;
import dev.oxbow.controlplane.testing.FakeComputeRuntime;
import dev.oxbow.controlplane.testing.Fixture;
import dev.oxbow.compute.ComputeSpec;
import dev.oxbow.metadata.Branch;
import dev.oxbow.metadata.Endpoint;
import dev.oxbow.metadata.EndpointDefaults;
import dev.oxbow.metadata.Project;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** What a compute is started with, and how its recorded state follows start, suspend and settle. */
class ComputesTest {
    @TempDir
    Path dir;

    private Fixture f;
    private Project project;
    private Branch branch;

    @BeforeEach
    void setUp() {
        f = new Fixture(dir);
        Project p = f.project("p1");
        // project-wide settings, which an endpoint's own override
        project = new Project(p.projectId(), p.uid(), p.createTime(), p.updateTime(), null, null, p.displayName(), 17,
                p.historyRetentionSeconds(), new EndpointDefaults(0.5, 4, 300L, false, Map.of("work_mem", "4MB", "jit", "off")),
                p.defaultBranchId(), null, null, false, p.owner());
        f.store.projects().put(project);
        branch = f.rootBranch(project, "production");
    }

    @AfterEach
    void tearDown() {
        f.close();
    }

    @Test
    void settingsFollowTheSizeAndSpecsAndArchivingCannotBeTurnedOff() {
        Endpoint e = f.endpoint(project, branch, "primary", new Specs.EndpointSpec(Endpoint.READ_WRITE, 1.0, 4.0, 300L, null, null, null,
                Map.of("work_mem", "16MB")), EndpointState.IDLE);
        ComputeSpec spec = f.computes.spec(project, branch, e);
        assertThat(spec.endpointUid()).isEqualTo(e.uid());
        assertThat(spec.pgVersion()).isEqualTo(17);
        assertThat(spec.dataDir()).isEqualTo(f.layout.dataDir(project, branch));
        assertThat(spec.socketDir()).isEqualTo(f.layout.socketDir(e));
        assertThat(spec.settings())
                .containsEntry("max_connections", Integer.toString(Defaults.maxConnections(4)))
                .containsEntry("effective_cache_size", (2L << 30) * 3 / 4 / 1024 + "kB") // 1 CU now
                .containsEntry("work_mem", "16MB")
                .containsEntry("jit", "off")
                .containsKey("archive_command");
        assertThat(spec.settings().get("archive_mode")).isEqualTo("on");
        // shared buffers survive a suspend as a block list that is read back after the wake
        assertThat(spec.settings()).containsEntry("shared_preload_libraries", "pg_prewarm").containsEntry("pg_prewarm.autoprewarm", "on");
    }

    @Test
    void startMarksActiveAtItsMinimumSizeAndSuspendMarksIdle() throws Exception {
        Endpoint e = f.primary(project, branch, 1, 4, 300, EndpointState.IDLE);
        f.clock.advance(java.time.Duration.ofMinutes(5));
        Endpoint active = f.computes.start(project, branch, e);
        assertThat(active.state()).isEqualTo(EndpointState.ACTIVE);
        assertThat(active.lastActiveTime()).isEqualTo(f.clock.instant());
        assertThat(f.store.endpoints().get(e.name()).orElseThrow().state()).isEqualTo(EndpointState.ACTIVE);
        assertThat(f.computes.currentCu(active)).isEqualTo(1);
        assertThat(f.runtime.resizes).containsExactly(new FakeComputeRuntime.Resize(e.uid(), f.computes.sizing().memoryBytes(1),
                f.computes.sizing().cpus(1)));

        f.computes.start(project, branch, active); // already running: not started twice
        assertThat(f.runtime.started).hasSize(1);

        Endpoint idle = f.computes.suspend(active);
        assertThat(idle.state()).isEqualTo(EndpointState.IDLE);
        assertThat(f.runtime.isRunning(e.uid())).isFalse();
    }

    @Test
    void currentSizeStaysWithinTheEndpointsRange() throws Exception {
        Endpoint e = f.primary(project, branch, 1, 4, 300, EndpointState.ACTIVE);
        f.computes.resize(project, branch, e, 8);
        assertThat(f.computes.currentCu(e)).isEqualTo(4);
        Endpoint narrowed = e.toBuilder().pendingState(null).minCu(2).maxCu(2).suspendTimeoutSeconds(300L).noSuspension(false)
                .disabled(false).pgSettings(Map.of()).groupMin(1).groupMax(1).enableReadableSecondaries(false).lastActiveTime(null).build();
        assertThat(f.computes.currentCu(narrowed)).isEqualTo(2);
    }

    @Test
    void maintenanceStopsTheComputeAgainOnlyIfItsRecordSaysIdle() throws Exception {
        Endpoint e = f.primary(project, branch, 0.5, 2, 300, EndpointState.IDLE);
        f.computes.ensureRunning(project, branch);
        assertThat(f.runtime.isRunning(e.uid())).isTrue();
        assertThat(f.store.endpoints().get(e.name()).orElseThrow().state()).as("recorded state unchanged").isEqualTo(EndpointState.IDLE);
        f.computes.settle(branch);
        assertThat(f.runtime.isRunning(e.uid())).isFalse();

        f.store.endpoints().put(e.withState(EndpointState.ACTIVE, f.clock.instant()));
        f.computes.ensureRunning(project, branch);
        f.computes.settle(branch);
        assertThat(f.runtime.isRunning(e.uid())).isTrue();
    }
}
