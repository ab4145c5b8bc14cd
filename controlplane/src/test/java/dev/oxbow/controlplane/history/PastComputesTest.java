package dev.oxbow.controlplane.history;

import dev.oxbow.controlplane.resource.ApiException;
import dev.oxbow.controlplane.testing.Fixture;
import dev.oxbow.metadata.Branch;
import dev.oxbow.metadata.Project;
import dev.oxbow.storage.PointInTimeRecovery.Target;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The time-travel cache's lifecycle over fake servers and a fake clock: shared starts, counting, idle removal, retries. */
class PastComputesTest {
    private static final Duration IDLE = Duration.ofMinutes(5);
    private static final Target LSN = new Target("0/16B3748", null);

    @TempDir
    Path dir;
    Fixture f;
    FakeServers servers;
    PastComputes cache;
    Project project;
    Branch branch;

    /** Records what it is asked; {@code failNext} makes the next start throw, {@code gate} holds a start until opened. */
    static final class FakeServers implements PastComputes.Servers {
        final List<String> started = new ArrayList<>();
        final List<String> removed = new ArrayList<>();
        volatile boolean failNext;
        volatile CountDownLatch gate = new CountDownLatch(0);

        @Override
        public synchronized Path start(Project project, Branch branch, Target point, String uid) throws Exception {
            gate.await();
            if (failNext) {
                failNext = false;
                throw new IllegalStateException("replay failed");
            }
            started.add(uid);
            return Path.of("/run", uid);
        }

        @Override
        public synchronized void remove(Project project, String uid) {
            removed.add(uid);
        }

        @Override
        public void sweep(List<Project> projects) {}

        @Override
        public void checkWindow(Project project, Target point) {
            if (point.time() != null && point.time().isBefore(Instant.EPOCH.plusSeconds(1))) {
                throw ApiException.invalid("outside the restore window");
            }
        }
    }

    @BeforeEach
    void setUp() {
        f = new Fixture(dir);
        servers = new FakeServers();
        cache = new PastComputes(servers, f.store, f.clock, f.metrics);
        project = f.project("p");
        branch = f.rootBranch(project, "production");
    }

    @AfterEach
    void tearDown() {
        f.close();
    }

    @Test
    void connectionsAtOnePointShareOneComputeAndAnotherPointGetsItsOwn() throws Exception {
        PastComputes.Lease first = cache.acquire(project, branch, LSN, IDLE);
        PastComputes.Lease second = cache.acquire(project, branch, new Target("0/16b3748", null), IDLE);
        PastComputes.Lease other = cache.acquire(project, branch, new Target(null, f.clock.instant()), IDLE);
        assertThat(first.started()).isTrue();
        assertThat(second.started()).isFalse();
        assertThat(second.uid()).isEqualTo(first.uid());
        assertThat(other.uid()).isNotEqualTo(first.uid());
        assertThat(servers.started).containsExactly(first.uid(), other.uid());
        assertThat(cache.running()).filteredOn(r -> r.uid().equals(first.uid())).singleElement()
                .satisfies(r -> assertThat(r.connections()).isEqualTo(2));
        assertThat(f.registry.get("oxbow.time.travel.connections").tag("compute", "reused").counter().count()).isEqualTo(1);
    }

    @Test
    void concurrentFirstConnectionsShareOneStart() throws Exception {
        servers.gate = new CountDownLatch(1);
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<PastComputes.Lease>> leases = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                leases.add(pool.submit(() -> cache.acquire(project, branch, LSN, IDLE)));
            }
            servers.gate.countDown();
            for (Future<PastComputes.Lease> lease : leases) {
                assertThat(lease.get().uid()).isEqualTo(leases.get(0).get().uid());
            }
        }
        assertThat(servers.started).hasSize(1);
    }

    @Test
    void aComputeIsRemovedOnlyOnceNoConnectionUsedItForItsIdleTime() throws Exception {
        PastComputes.Lease lease = cache.acquire(project, branch, LSN, IDLE);
        f.clock.advance(IDLE.multipliedBy(2));
        cache.removeIdle();
        assertThat(servers.removed).as("in use").isEmpty();
        lease.release().run();
        lease.release().run(); // a second release changes nothing
        assertThat(cache.running().get(0).connections()).isZero();
        f.clock.advance(IDLE.minusSeconds(1));
        cache.removeIdle();
        assertThat(servers.removed).as("idle, not yet long enough").isEmpty();
        f.clock.advance(Duration.ofSeconds(1));
        cache.removeIdle();
        assertThat(servers.removed).containsExactly(lease.uid());
        assertThat(cache.running()).isEmpty();
        // the next connection at that point gets a new compute under a new uid
        PastComputes.Lease again = cache.acquire(project, branch, LSN, IDLE);
        assertThat(again.started()).isTrue();
        assertThat(again.uid()).isNotEqualTo(lease.uid());
    }

    @Test
    void aComputeWhoseBranchIsDeletedIsRemovedAtOnce() throws Exception {
        cache.acquire(project, branch, LSN, IDLE).release().run();
        f.store.branches().put(branch.toBuilder().deleteTime(f.clock.instant()).build());
        cache.removeIdle();
        assertThat(servers.removed).hasSize(1);
    }

    @Test
    void aFailedStartIsRetriedByTheNextConnectionAndARefusedPointStartsNothing() throws Exception {
        servers.failNext = true;
        assertThatThrownBy(() -> cache.acquire(project, branch, LSN, IDLE)).hasMessageContaining("replay failed");
        assertThat(cache.running()).isEmpty();
        assertThat(cache.acquire(project, branch, LSN, IDLE).started()).isTrue();
        assertThatThrownBy(() -> cache.acquire(project, branch, new Target(null, Instant.EPOCH), IDLE))
                .isInstanceOf(ApiException.class).hasMessageContaining("restore window");
        assertThat(servers.started).hasSize(1);
    }

    @Test
    void closeRemovesEveryCompute() throws Exception {
        cache.acquire(project, branch, LSN, IDLE);
        cache.acquire(project, branch, new Target(null, f.clock.instant()), IDLE);
        cache.close();
        assertThat(servers.removed).containsExactlyInAnyOrderElementsOf(servers.started);
        assertThat(cache.running()).isEmpty();
    }
}
