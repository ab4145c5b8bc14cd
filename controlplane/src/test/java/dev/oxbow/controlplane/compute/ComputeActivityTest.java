package dev.oxbow.controlplane.compute;

import dev.oxbow.metadata.EndpointState;
import dev.oxbow.metadata.BranchState;
import dev.oxbow.controlplane.resource.Specs;
import dev.oxbow.controlplane.testing.FakeComputeRuntime;
import dev.oxbow.controlplane.testing.Fixture;
import dev.oxbow.compute.ComputeException;
import dev.oxbow.metadata.Branch;
import dev.oxbow.metadata.Endpoint;
import dev.oxbow.metadata.Project;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static dev.oxbow.controlplane.testing.ApiErrors.refused;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Scale to zero with a fake clock: when a compute is suspended, and how a connection wakes it. */
class ComputeActivityTest {
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

    private Endpoint runningPrimary(long suspendSeconds) {
        Endpoint e = f.primary(project, branch, 0.5, 2, suspendSeconds, EndpointState.ACTIVE);
        f.runtime.markRunning(e.uid());
        return e;
    }

    private EndpointState state(Endpoint e) {
        return f.store.endpoints().get(e.name()).orElseThrow().state();
    }

    private double suspends() {
        return f.registry.get("oxbow.compute.suspends").counter().count();
    }

    private static Path await(CompletableFuture<Path> wake) throws Exception {
        return wake.get(10, TimeUnit.SECONDS);
    }

    @Test
    void computeIsSuspendedOnceItsTimeoutHasPassedSinceItWasLastActive() {
        Endpoint e = runningPrimary(300);
        f.clock.advance(Duration.ofSeconds(299));
        activity.suspendIdle();
        assertThat(state(e)).isEqualTo(EndpointState.ACTIVE);
        assertThat(f.runtime.isRunning(e.uid())).isTrue();

        f.clock.advance(Duration.ofSeconds(1));
        activity.suspendIdle();
        assertThat(state(e)).isEqualTo(EndpointState.IDLE);
        assertThat(f.runtime.isRunning(e.uid())).isFalse();
        assertThat(f.runtime.calls).as("a suspend, which keeps the pooler's clients").contains("suspend " + e.uid())
                .doesNotContain("stop " + e.uid());
        assertThat(suspends()).isEqualTo(1);
    }

    @Test
    void workThatStepsBackBeforeASuspendSeesItComingOnlyWithNoClientAndNearTheTimeout() throws Exception {
        Endpoint e = runningPrimary(300);
        activity.suspendIdle(); // the suspender's first look: idle from now
        Duration margin = Duration.ofSeconds(10);
        f.clock.advance(Duration.ofSeconds(289));
        assertThat(activity.suspendsWithin(e, margin)).isFalse();
        f.clock.advance(Duration.ofSeconds(1));
        assertThat(activity.suspendsWithin(e, margin)).isTrue();
        await(activity.acquire(e.uid()));
        assertThat(activity.suspendsWithin(e, margin)).as("a client is connected").isFalse();
        activity.release(e.uid());
        assertThat(activity.suspendsWithin(e, margin)).as("its last client just left").isFalse();
    }

    @Test
    void aConnectionArrivingWhileTheSuspendStopsTheServerWaitsAndWakesItAgain() throws Exception {
        Endpoint e = runningPrimary(300);
        f.clock.advance(Duration.ofSeconds(300));
        f.runtime.suspendGate = new java.util.concurrent.CountDownLatch(1);
        Thread suspender = Thread.ofPlatform().start(activity::suspendIdle);
        while (!f.runtime.calls.contains("suspend " + e.uid())) {
            Thread.onSpinWait(); // the suspend has read the count (none) and is stopping the server
        }
        // the server still runs and the record still says ACTIVE: without the suspend's mark this would be handed out
        CompletableFuture<Path> wake = activity.acquire(e.uid());
        assertThat(wake).as("not handed a server that is shutting down").isNotDone();
        f.runtime.suspendGate.countDown();
        suspender.join();
        assertThat(await(wake)).isEqualTo(f.layout.socketDir(e));
        assertThat(f.runtime.isRunning(e.uid())).as("woken again right after the suspend").isTrue();
        assertThat(state(e)).isEqualTo(EndpointState.ACTIVE);
    }

    @Test
    void anOpenConnectionKeepsTheComputeAwakeAndTheTimeoutCountsFromItsRelease() throws Exception {
        Endpoint e = runningPrimary(300);
        Path socket = await(activity.acquire(e.uid()));
        assertThat(socket).isEqualTo(f.layout.socketDir(e));
        assertThat(activity.connections(e.uid())).isEqualTo(1);

        f.clock.advance(Duration.ofDays(2));
        activity.suspendIdle();
        assertThat(state(e)).isEqualTo(EndpointState.ACTIVE);

        activity.release(e.uid());
        assertThat(activity.connections(e.uid())).isZero();
        f.clock.advance(Duration.ofSeconds(299));
        activity.suspendIdle();
        assertThat(state(e)).isEqualTo(EndpointState.ACTIVE);
        f.clock.advance(Duration.ofSeconds(1));
        activity.suspendIdle();
        assertThat(state(e)).isEqualTo(EndpointState.IDLE);
    }

    @Test
    void connectionsAreCountedPerEndpoint() throws Exception {
        Endpoint e = runningPrimary(300);
        await(activity.acquire(e.uid()));
        await(activity.acquire(e.uid()));
        activity.release(e.uid());
        assertThat(activity.connections(e.uid())).isEqualTo(1);
        assertThat(activity.connections("ep-other")).isZero();
        activity.release("ep-never-acquired"); // harmless
    }

    @Test
    void alwaysOnDisabledAndAlreadyIdleComputesAreNotSuspended() {
        Branch dev = f.rootBranch(project, "dev");
        Branch qa = f.rootBranch(project, "qa");
        Endpoint alwaysOn = f.endpoint(project, branch, "primary",
                new Specs.EndpointSpec(Endpoint.READ_WRITE, null, null, null, true, null, null, null), EndpointState.ACTIVE);
        Endpoint disabled = f.endpoint(project, dev, "primary",
                new Specs.EndpointSpec(Endpoint.READ_WRITE, null, null, 60L, null, true, null, null), EndpointState.ACTIVE);
        Endpoint idle = f.endpoint(project, qa, "primary", Fixture.spec(Endpoint.READ_WRITE, null, null, 60L), EndpointState.IDLE);
        for (Endpoint e : new Endpoint[] {alwaysOn, disabled, idle}) {
            f.runtime.markRunning(e.uid());
        }
        f.clock.advance(Duration.ofDays(8));
        activity.suspendIdle();
        assertThat(f.runtime.calls).noneMatch(c -> c.startsWith("stop ") || c.startsWith("suspend "));
        assertThat(suspends()).isZero();
    }

    @Test
    void aConnectionWakesASuspendedCompute() throws Exception {
        Endpoint e = f.primary(project, branch, 0.5, 2, 300, EndpointState.IDLE);
        Path socket = await(activity.acquire(e.uid()));
        assertThat(socket).isEqualTo(f.layout.socketDir(e));
        assertThat(state(e)).isEqualTo(EndpointState.ACTIVE);
        assertThat(f.runtime.isRunning(e.uid())).isTrue();
        // a compute starts at its minimum size
        assertThat(f.runtime.resizes).containsExactly(new FakeComputeRuntime.Resize(e.uid(), ComputeSizing.defaults().memoryBytes(0.5), 0.125));
        assertThat(f.runtime.started).singleElement().satisfies(spec -> {
            assertThat(spec.dataDir()).isEqualTo(f.layout.dataDir(project, branch));
            assertThat(spec.settings()).containsKey("archive_command");
        });
        assertThat(f.registry.get("oxbow.compute.resumes").counter().count()).isEqualTo(1);
        assertThat(f.registry.get("oxbow.compute.cold.start").timer().count()).isEqualTo(1);
        // woken just now: the suspend timeout starts over
        f.clock.advance(Duration.ofSeconds(200));
        activity.release(e.uid());
        activity.suspendIdle();
        assertThat(state(e)).isEqualTo(EndpointState.ACTIVE);
    }

    @Test
    void concurrentConnectionsShareOneWakeUp() throws Exception {
        Endpoint e = f.primary(project, branch, 0.5, 2, 300, EndpointState.IDLE);
        f.runtime.startGate = new CountDownLatch(1);
        CompletableFuture<Path> first = activity.acquire(e.uid());
        CompletableFuture<Path> second = activity.acquire(e.uid());
        assertThat(second).isSameAs(first);
        f.runtime.startGate.countDown();
        assertThat(await(second)).isEqualTo(f.layout.socketDir(e));
        assertThat(f.runtime.started).hasSize(1);
        assertThat(activity.connections(e.uid())).isEqualTo(2);
    }

    @Test
    void wakingAReplicaStartsItsPrimaryFirstWithoutMarkingItActive() throws Exception {
        Endpoint primary = f.primary(project, branch, 0.5, 2, 300, EndpointState.IDLE);
        Endpoint replica = f.endpoint(project, branch, "replica", Fixture.spec(Endpoint.READ_ONLY, 0.5, 2.0, 300L), EndpointState.IDLE);
        await(activity.acquire(replica.uid()));
        assertThat(f.runtime.calls).filteredOn(c -> c.startsWith("start ")).containsExactly("start " + primary.uid(), "start " + replica.uid());
        assertThat(state(replica)).isEqualTo(EndpointState.ACTIVE);
        assertThat(state(primary)).isEqualTo(EndpointState.IDLE);
        assertThat(f.runtime.started.getLast().settings()).containsEntry("hot_standby", "on")
                .containsEntry("max_connections", f.runtime.started.getFirst().settings().get("max_connections"))
                .hasEntrySatisfying("primary_conninfo", v -> assertThat(v).contains("application_name=" + replica.uid()))
                .doesNotContainKey("archive_command");
    }

    @Test
    void aDisabledComputeIsNotWoken() {
        Endpoint e = f.endpoint(project, branch, "primary",
                new Specs.EndpointSpec(Endpoint.READ_WRITE, null, null, 300L, null, true, null, null), EndpointState.IDLE);
        assertThatThrownBy(() -> await(activity.acquire(e.uid()))).isInstanceOf(ExecutionException.class)
                .hasMessageContaining("is disabled");
        assertThat(f.runtime.started).isEmpty();
    }

    @Test
    void aComputeIsNotWokenWhileItsBranchIsBeingReset() {
        Endpoint e = f.primary(project, branch, 0.5, 2, 300, EndpointState.IDLE);
        f.store.branches().put(branch.withPending(BranchState.RESETTING, f.clock.instant()));
        assertThatThrownBy(() -> await(activity.acquire(e.uid()))).hasMessageContaining("is RESETTING; retry in a moment");
        assertThat(f.runtime.started).isEmpty();
    }

    /**
     * A pooled login to a running compute whose pooler runs is answered at once on the caller's thread (the proxy's event
     * loop), not after a hop to the wake pool; without a running pooler it waits for one there, and says so when none comes.
     */
    @Test
    void aPooledAcquireOfARunningPoolerIsAnsweredOnTheCallersThread() throws Exception {
        Endpoint e = runningPrimary(300);
        CompletableFuture<Path> none = activity.acquirePooled(e.uid());
        assertThatThrownBy(() -> await(none)).hasMessageContaining("its connection pooler is not running");
        activity.release(e.uid());

        Path socket = Path.of("/nonexistent/run/" + e.uid() + "-pooler");
        f.runtime.poolers.put(e.uid(), new dev.oxbow.compute.RunningPooler(e.uid(), 77, socket, "1.24.1"));
        CompletableFuture<Path> running = activity.acquirePooled(e.uid());
        assertThat(running).as("no hop: already complete when returned").isCompletedWithValue(socket);
        activity.release(e.uid());
    }

    /** A pooled session acquires on every transaction: the record is read once while the metadata is unchanged, never stale. */
    @Test
    void theEndpointRecordIsKeptUntilTheMetadataChanges() throws Exception {
        Endpoint e = runningPrimary(300);
        Endpoint first = activity.endpointByUid(e.uid()).orElseThrow();
        assertThat(activity.endpointByUid(e.uid())).as("no second read (which would decode a new record)").containsSame(first);
        assertThat(await(activity.acquire(e.uid()))).isEqualTo(f.layout.socketDir(e));
        f.store.endpoints().put(first.withState(EndpointState.IDLE, f.clock.instant()));
        assertThat(activity.endpointByUid(e.uid())).map(Endpoint::state).as("a write is seen at once").contains(EndpointState.IDLE);
        f.store.endpoints().delete(e.name());
        assertThat(activity.endpointByUid(e.uid())).as("nor is a deleted endpoint kept").isEmpty();
    }

    @Test
    void anUnknownEndpointIsNotWoken() {
        assertThatThrownBy(() -> await(activity.acquire("ep-gone"))).hasMessageContaining("endpoint ep-gone no longer exists");
    }

    @Test
    void aFailedStartFailsTheWakeAndTheNextConnectionTriesAgain() throws Exception {
        Endpoint e = f.primary(project, branch, 0.5, 2, 300, EndpointState.IDLE);
        f.runtime.failStart = new ComputeException("initdb missing");
        assertThatThrownBy(() -> await(activity.acquire(e.uid()))).hasMessageContaining("initdb missing");
        f.runtime.failStart = null;
        assertThat(await(activity.acquire(e.uid()))).isEqualTo(f.layout.socketDir(e));
    }

    @Test
    void suspendOnRequest() {
        Endpoint e = runningPrimary(300);
        Endpoint idle = activity.suspendNow(e);
        assertThat(idle.state()).isEqualTo(EndpointState.IDLE);
        assertThat(state(e)).isEqualTo(EndpointState.IDLE);
        assertThat(f.runtime.isRunning(e.uid())).isFalse();
        refused(() -> activity.suspendNow(e), 400, "INVALID_STATE", "is IDLE", "only an ACTIVE endpoint");
    }

    @Test
    void alwaysOnComputeRefusesSuspendOnRequest() {
        Endpoint e = f.endpoint(project, branch, "primary",
                new Specs.EndpointSpec(Endpoint.READ_WRITE, null, null, null, true, null, null, null), EndpointState.ACTIVE);
        refused(() -> activity.suspendNow(e), 400, "INVALID_STATE", "no_suspension");
    }
}
