package dev.oxbow.controlplane.history;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The per-branch guard of first snapshots: queued ones are dropped by a cancel, running ones waited for. */
class FirstSnapshotsTest {
    private final ExecutorService pool = Executors.newSingleThreadExecutor();
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
}
