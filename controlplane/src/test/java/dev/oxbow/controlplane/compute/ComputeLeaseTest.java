package dev.oxbow.controlplane.compute;

import dev.oxbow.metadata.EndpointState;
import dev.oxbow.controlplane.testing.Fixture;
import dev.oxbow.metadata.Branch;
import dev.oxbow.metadata.Endpoint;
import dev.oxbow.metadata.Project;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Leases: work that needs a branch's server up (a clone, a snapshot) holds it, and neither the idle suspender nor
 * the settling after other maintenance stops it underneath. Fake clock and runtime; the lease is the same call
 * Provisioner.cloneFromParent and Timelines.snapshot make.
 */
class ComputeLeaseTest {
    @TempDir
    Path dir;

    private Fixture f;
    private ComputeActivity activity;
    private Project project;
    private Branch branch;

    @BeforeEach
    void setUp() {
        f = new Fixture(dir);
        activity = new ComputeActivity(f.store, f.computes, f.layout, f.clock, f.metrics);
        project = f.project("p1");
        branch = f.rootBranch(project, "production");
    }

    @AfterEach
    void tearDown() {
        activity.close();
        f.close();
    }

    private EndpointState state(Endpoint e) {
        return f.store.endpoints().get(e.name()).orElseThrow().state();
    }

    @Test
    void theSuspenderRunningDuringACloneLeavesTheParentUpAndTheCloneFinishes() throws Exception {
        Endpoint parent = f.primary(project, branch, 0.5, 2, 300, EndpointState.ACTIVE);
        f.runtime.markRunning(parent.uid());
        f.clock.advance(Duration.ofSeconds(301)); // idle long enough to be suspended

        boolean cloneSawItsSource;
        try (Computes.Lease clone = f.computes.leasePrimary(project, branch, "clone")) {
            assertThat(f.computes.leases(parent)).containsExactly("clone");
            activity.suspendIdle(); // the suspender's timer fires in the middle of the copy
            cloneSawItsSource = f.runtime.isRunning(clone.endpoint().uid()); // the copy reads the running server
        }

        assertThat(cloneSawItsSource).as("the parent ran for the whole clone").isTrue();
        assertThat(f.runtime.calls).doesNotContain("stop " + parent.uid());
        assertThat(state(parent)).isEqualTo(EndpointState.ACTIVE);
        assertThat(f.computes.leases(parent)).isEmpty();

        activity.suspendIdle(); // with the clone done, idleness counts again
        assertThat(state(parent)).isEqualTo(EndpointState.IDLE);
        assertThat(f.runtime.isRunning(parent.uid())).isFalse();
    }

    @Test
    void aLeaseWakesASuspendedServerWithoutChangingItsRecordAndTheLastHolderStopsItAgain() throws Exception {
        Endpoint parent = f.primary(project, branch, 0.5, 2, 300, EndpointState.IDLE);
        assertThat(f.runtime.isRunning(parent.uid())).isFalse();

        Computes.Lease clone = f.computes.leasePrimary(project, branch, "clone");
        Computes.Lease snapshot = f.computes.leasePrimary(project, branch, "snapshot");
        assertThat(f.runtime.isRunning(parent.uid())).isTrue();
        assertThat(state(parent)).isEqualTo(EndpointState.IDLE);
        assertThat(f.computes.leases(parent)).containsExactlyInAnyOrder("clone", "snapshot");

        clone.close();
        assertThat(f.runtime.isRunning(parent.uid())).as("the snapshot still holds it").isTrue();
        f.computes.settle(branch); // other maintenance settling the branch does not stop it either
        assertThat(f.runtime.isRunning(parent.uid())).isTrue();

        snapshot.close();
        assertThat(f.runtime.isRunning(parent.uid())).isFalse();
        snapshot.close(); // closing twice drops nothing more
        assertThat(f.computes.leases(parent)).isEmpty();
    }
}
