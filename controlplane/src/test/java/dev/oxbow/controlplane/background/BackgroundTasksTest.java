package dev.oxbow.controlplane.background;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BackgroundTasksTest {
    private static final Duration OFTEN = Duration.ofMillis(5);
    private static final long WAIT_SECONDS = 30;

    @Test
    void aRunningTaskCarriesItsNameAndAFailedRunDoesNotStopIt() throws Exception {
        List<String> threadNames = new CopyOnWriteArrayList<>();
        AtomicInteger runs = new AtomicInteger();
        CountDownLatch third = new CountDownLatch(3);
        try (BackgroundTasks tasks = new BackgroundTasks(2)) {
            tasks.every("flaky", Duration.ZERO, OFTEN, () -> {
                threadNames.add(Thread.currentThread().getName());
                third.countDown();
                if (runs.incrementAndGet() == 1) {
                    throw new IllegalStateException("first run fails");
                }
            });
            assertThat(third.await(WAIT_SECONDS, TimeUnit.SECONDS)).as("ran again after the failure").isTrue();
            assertThat(tasks.names()).containsExactly("flaky");
        }
        assertThat(threadNames).allMatch(n -> n.startsWith(BackgroundTasks.THREAD_PREFIX) && n.endsWith(" flaky"));
    }

    @Test
    void closeStopsEveryTaskAndWaitsForTheRunning() throws Exception {
        AtomicInteger quickRuns = new AtomicInteger();
        CountDownLatch slowStarted = new CountDownLatch(1);
        CountDownLatch slowInterrupted = new CountDownLatch(1);
        BackgroundTasks tasks = new BackgroundTasks(3);
        tasks.every("quick", Duration.ZERO, OFTEN, quickRuns::incrementAndGet);
        tasks.every("slow", Duration.ZERO, OFTEN, () -> {
            slowStarted.countDown();
            try {
                new CountDownLatch(1).await(); // a long pass that only close ends
            } catch (InterruptedException e) {
                slowInterrupted.countDown();
            }
        });
        tasks.every("later", Duration.ofHours(1), Duration.ofHours(1), () -> {});
        assertThat(slowStarted.await(WAIT_SECONDS, TimeUnit.SECONDS)).isTrue();

        tasks.close();
        assertThat(slowInterrupted.getCount()).as("the running task was interrupted and finished before close returned").isZero();
        assertThat(tasks.names()).isEmpty();
        assertThat(tasks.busy()).isFalse();
        int after = quickRuns.get();
        assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.getName().startsWith(BackgroundTasks.THREAD_PREFIX) && t.isAlive()
                && t.getName().contains("quick"));
        assertThatThrownBy(() -> tasks.every("new", Duration.ZERO, OFTEN, () -> {})).isInstanceOf(java.util.concurrent.RejectedExecutionException.class);
        assertThat(quickRuns.get()).as("no run after close").isEqualTo(after);
    }

    @Test
    void aCancelledTaskStopsAndItsNameIsFreeAgain() {
        try (BackgroundTasks tasks = new BackgroundTasks(1)) {
            BackgroundTasks.Task task = tasks.every("sync a.b.c", Duration.ofHours(1), Duration.ofHours(1), () -> {});
            assertThatThrownBy(() -> tasks.every("sync a.b.c", Duration.ZERO, OFTEN, () -> {})).isInstanceOf(IllegalStateException.class);
            task.cancel();
            assertThat(tasks.names()).isEmpty();
            tasks.every("sync a.b.c", Duration.ofHours(1), Duration.ofHours(1), () -> {}).cancel();
        }
    }
}
