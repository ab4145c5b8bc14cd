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
        assertThat(f.runtime.calls).doesNotContain("stop " + parent.uid(), "suspend " + parent.uid());
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

    @Test
    void theConsolesSuspendDuringACloneWaitsForTheCloneThenStops() throws Exception {
        Endpoint parent = f.primary(project, branch, 0.5, 2, 300, EndpointState.ACTIVE);
        f.runtime.markRunning(parent.uid());

        try (Computes.Lease clone = f.computes.leasePrimary(project, branch, "clone")) {
            Endpoint suspended = activity.suspendNow(parent); // the console's Suspend button, mid-copy
            assertThat(suspended.state()).isEqualTo(EndpointState.IDLE);
            assertThat(f.runtime.isRunning(clone.endpoint().uid())).as("the clone still reads the running server").isTrue();
        }
        assertThat(f.runtime.isRunning(parent.uid())).as("stopped when the clone let go").isFalse();
        assertThat(state(parent)).isEqualTo(EndpointState.IDLE);
    }

    @Test
    void disablingDuringASnapshotRecordsItAndStopsTheServerWhenTheSnapshotEnds() throws Exception {
        Endpoint parent = f.primary(project, branch, 0.5, 2, 300, EndpointState.ACTIVE);
        f.runtime.markRunning(parent.uid());

        Computes.Lease snapshot = f.computes.leasePrimary(project, branch, "snapshot");
        Endpoint disabled = parent.toBuilder().disabled(true).build();
        f.store.endpoints().put(disabled);
        f.computes.suspend(disabled); // what the endpoint update does for disabled=true
        assertThat(f.runtime.isRunning(parent.uid())).as("the snapshot holds it").isTrue();
        assertThat(f.store.endpoints().get(parent.name()).orElseThrow().disabled()).isTrue();

        snapshot.close();
        assertThat(f.runtime.isRunning(parent.uid())).isFalse();
    }

    @Test
    void maintenanceSettlingDuringAWakeLeavesTheWokenComputeRunning() throws Exception {
        Endpoint e = f.primary(project, branch, 0.5, 2, 300, EndpointState.IDLE);
        f.runtime.startGate = new java.util.concurrent.CountDownLatch(1);
        var wake = activity.acquire(e.uid()); // a client connects; the wake is now inside the server's start
        while (!f.runtime.calls.contains("start " + e.uid())) {
            Thread.onSpinWait();
        }
        // a snapshot's lease closes meanwhile: settle reads the record (still IDLE) and would stop the server
        Thread settle = Thread.ofPlatform().start(() -> {
            try {
                f.computes.settle(branch);
            } catch (Exception ex) {
                throw new IllegalStateException(ex);
            }
        });
        while (settle.getState() != Thread.State.BLOCKED && settle.isAlive()) {
            Thread.onSpinWait(); // waiting for the wake to finish (on the endpoint's guard, or on the runtime's stop)
        }
        f.runtime.startGate.countDown();
        assertThat(wake.get(10, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(f.layout.socketDir(e));
        settle.join();

        assertThat(state(e)).isEqualTo(EndpointState.ACTIVE);
        assertThat(f.runtime.isRunning(e.uid())).as("the woken compute still runs").isTrue();
        assertThat(f.runtime.calls).doesNotContain("stop " + e.uid(), "suspend " + e.uid());
    }
}
