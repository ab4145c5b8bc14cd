package dev.oxbow.controlplane.history;

import dev.oxbow.controlplane.testing.FakeClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.time.Instant;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The per-branch guard of first snapshots: queued ones are dropped by a cancel, running ones waited for; and the quiet
 * period after creates, on a fake clock.
 */
class FirstSnapshotsTest {
    private static final FirstSnapshots.Quiet HOUR = new FirstSnapshots.Quiet(Duration.ofHours(1), Duration.ofHours(3));
    private final Thread[] worker = new Thread[1];
    private final ExecutorService pool = Executors.newSingleThreadExecutor(r -> worker[0] = new Thread(r, "first-snapshot-test"));
    private final FakeClock clock = new FakeClock();
    private final List<String> events = new CopyOnWriteArrayList<>();
    private final CountDownLatch release = new CountDownLatch(1);
    private final CountDownLatch started = new CountDownLatch(1);

    @AfterEach
    void close() {
        release.countDown();
        pool.shutdownNow();
    }

    /** Work that records each branch and blocks on {@link #release} for branch "slow". */
    private FirstSnapshots snapshots() {
        return new FirstSnapshots(name -> {
            events.add("start " + name);
            if (name.equals("slow")) {
                started.countDown();
                release.await();
            }
            if (name.equals("broken")) {
                throw new IllegalStateException("disk full");
            }
            events.add("end " + name);
        }, pool);
    }

    @Test
    void aQueuedSnapshotIsTakenAndAwaitable() throws Exception {
        FirstSnapshots s = snapshots();
        s.takeSoon("b1");
        s.await("b1");
        assertThat(events).containsExactly("start b1", "end b1");
        assertThat(s.pending("b1")).isFalse();
    }

    @Test
    void cancelDropsASnapshotNotStartedYet() throws Exception {
        FirstSnapshots s = snapshots();
        s.takeSoon("slow"); // holds the one thread
        started.await(10, TimeUnit.SECONDS);
        s.takeSoon("b1");
        assertThat(s.pending("b1")).isTrue();
        s.cancel("b1");
        assertThat(s.pending("b1")).isFalse();
        release.countDown();
        s.await("slow");
        s.takeSoon("b2"); // runs after anything b1 would have run as, on the same thread
        s.await("b2");
        assertThat(events).containsExactly("start slow", "end slow", "start b2", "end b2");
    }

    @Test
    void cancelWaitsForASnapshotBeingTaken() throws Exception {
        FirstSnapshots s = snapshots();
        s.takeSoon("slow");
        started.await(10, TimeUnit.SECONDS);
        Thread canceller = Thread.ofPlatform().start(() -> {
            try {
                s.cancel("slow");
                events.add("cancel returned");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        // poll until the canceller blocks; had it returned without waiting, it would have terminated instead
        while (canceller.getState() != Thread.State.WAITING && canceller.isAlive()) {
            Thread.onSpinWait();
        }
        assertThat(canceller.isAlive()).as("cancel returned while the snapshot was still being taken").isTrue();
        release.countDown();
        canceller.join();
        assertThat(events).containsExactly("start slow", "end slow", "cancel returned");
    }

    @Test
    void aSecondRequestWhileOneIsPendingIsTheSameRequest() throws Exception {
        FirstSnapshots s = snapshots();
        s.takeSoon("slow");
        started.await(10, TimeUnit.SECONDS);
        s.takeSoon("b1");
        s.takeSoon("b1");
        release.countDown();
        s.await("slow");
        s.await("b1");
        assertThat(events).containsExactly("start slow", "end slow", "start b1", "end b1");
    }

    @Test
    void aFailedSnapshotIsNoLongerPendingSoMaintenanceTakesIt() throws Exception {
        FirstSnapshots s = snapshots();
        s.takeSoon("broken");
        s.await("broken");
        assertThat(s.pending("broken")).isFalse();
        assertThat(events).containsExactly("start broken");
    }

    @Test
    void afterCloseARequestIsNotTakenAndNothingWaitsForIt() throws Exception {
        FirstSnapshots s = snapshots();
        s.close();
        s.takeSoon("b1");
        s.await("b1");
        s.cancel("b1");
        assertThat(s.pending("b1")).isFalse();
        assertThat(events).isEmpty();
    }

    /** The same work, started only after the quiet period {@link #HOUR} on {@link #clock}. */
    private FirstSnapshots quietSnapshots() {
        return new FirstSnapshots(name -> events.add("take " + name), pool, clock, HOUR);
    }

    /** Polls until the worker waits with a timeout (for quiet); an idle pool thread waits without one. */
    private void awaitWorkerWaitingForQuiet() {
        while (worker[0] == null || worker[0].getState() != Thread.State.TIMED_WAITING) {
            Thread.onSpinWait();
        }
    }

    @Test
    void quietRemainingCountsFromTheLastCreateAndNeverBeyondTheLongestWait() {
        Instant t0 = Instant.parse("2026-12-01T21:00:00Z");
        FirstSnapshots.Quiet q = new FirstSnapshots.Quiet(Duration.ofSeconds(1), Duration.ofSeconds(30));
        // a create runs: wait until the longest wait is over
        assertThat(q.remaining(t0, t0, 1, Instant.MIN)).isEqualTo(Duration.ofSeconds(30));
        // the last create ended 400 ms ago: 600 ms of quiet left
        assertThat(q.remaining(t0, t0.minusSeconds(5), 0, t0.minusMillis(400))).isEqualTo(Duration.ofMillis(600));
        // quiet for longer than the period: start now
        assertThat(q.remaining(t0, t0.minusSeconds(5), 0, t0.minusSeconds(2)).isPositive()).isFalse();
        // creates keep running, but it was queued 30 s ago: start now
        assertThat(q.remaining(t0, t0.minusSeconds(30), 3, t0).isPositive()).isFalse();
        // no create ever: start now
        assertThat(q.remaining(t0, t0, 0, Instant.MIN).isPositive()).isFalse();
        assertThat(FirstSnapshots.Quiet.NONE.remaining(t0, t0, 2, t0).isPositive()).isFalse();
    }

    @Test
    @Timeout(20)
    void aSnapshotStartsOnlyAfterTheQuietPeriodFollowingTheLastCreate() throws Exception {
        FirstSnapshots s = quietSnapshots();
        AutoCloseable create = s.creating();
        s.takeSoon("b1");
        awaitWorkerWaitingForQuiet();
        assertThat(events).isEmpty();
        create.close();
        clock.advance(Duration.ofMinutes(59));
        s.recheck();
        awaitWorkerWaitingForQuiet(); // still waiting: 1 min of quiet left (the fake clock does not move by itself)
        assertThat(events).isEmpty();
        assertThat(s.pending("b1")).isTrue();
        clock.advance(Duration.ofMinutes(1));
        s.recheck();
        while (s.pending("b1")) {
            Thread.onSpinWait();
        }
        assertThat(events).containsExactly("take b1");
    }

    @Test
    @Timeout(20)
    void aCloneWaitingForTheSnapshotEndsTheQuietPeriod() throws Exception {
        FirstSnapshots s = quietSnapshots();
        try (AutoCloseable create = s.creating()) {
            s.takeSoon("parent");
            awaitWorkerWaitingForQuiet();
            s.await("parent"); // the child's create waits for its parent's snapshot while it counts as a create
            assertThat(events).containsExactly("take parent");
        }
    }

    @Test
    @Timeout(20)
    void aCancelWhileWaitingForQuietLetsTheNextOneWait() throws Exception {
        FirstSnapshots s = quietSnapshots();
        AutoCloseable create = s.creating();
        s.takeSoon("b1");
        awaitWorkerWaitingForQuiet();
        s.takeSoon("b2");
        s.cancel("b1");
        assertThat(s.pending("b1")).isFalse();
        create.close();
        clock.advance(Duration.ofHours(1));
        s.recheck();
        while (s.pending("b2")) {
            Thread.onSpinWait();
        }
        assertThat(events).containsExactly("take b2");
    }
}
