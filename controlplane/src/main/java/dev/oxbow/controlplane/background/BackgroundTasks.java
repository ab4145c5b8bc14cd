package dev.oxbow.controlplane.background;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The control plane's one scheduler for periodic work (like HikariCP's single housekeeper): the idle suspender, the
 * autoscaler, CU samples, history maintenance, the reaper, key rotation, snapshot schedules and continuous syncs are named tasks here.
 * A few threads, so a long pass (a snapshot, a sync) does not hold up the suspender; while a task runs, its thread
 * carries the task's name. A run that throws is logged and the task runs again at its next time. {@link #close}
 * cancels every task, interrupts those running and waits for them. Operations run on their own executor.
 */
public final class BackgroundTasks implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BackgroundTasks.class);
    static final String THREAD_PREFIX = "oxbow-background-";
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(30);

    private final ScheduledThreadPoolExecutor pool;
    private final Map<String, ScheduledFuture<?>> tasks = new ConcurrentHashMap<>();

    public BackgroundTasks(int threads) {
        AtomicInteger n = new AtomicInteger();
        pool = new ScheduledThreadPoolExecutor(threads, r -> Thread.ofPlatform().name(THREAD_PREFIX + n.incrementAndGet()).daemon().unstarted(r));
        pool.setRemoveOnCancelPolicy(true);
        pool.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    }

    /** A handle on one scheduled task; cancelling lets a run in progress finish. */
    public interface Task {
        String name();

        void cancel();
    }

    /**
     * Runs {@code work} every {@code every} (between the end of one run and the start of the next), first after
     * {@code firstDelay}. The name must be unique among the scheduled tasks; it names the thread while it runs.
     */
    public Task every(String name, Duration firstDelay, Duration every, Runnable work) {
        if (tasks.containsKey(name)) {
            throw new IllegalStateException("a background task named " + name + " is already scheduled");
        }
        ScheduledFuture<?> future = pool.scheduleWithFixedDelay(() -> run(name, work), firstDelay.toMillis(), every.toMillis(),
                TimeUnit.MILLISECONDS);
        tasks.put(name, future);
        log.debug("background task scheduled task={} every_ms={}", name, every.toMillis());
        return new Task() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public void cancel() {
                if (tasks.remove(name, future)) {
                    future.cancel(false);
                }
            }
        };
    }

    /** The names of the tasks scheduled now. */
    public List<String> names() {
        return tasks.keySet().stream().sorted().toList();
    }

    /** Whether any task is running at this moment. */
    public boolean busy() {
        return pool.getActiveCount() > 0;
    }

    private static void run(String name, Runnable work) {
        Thread thread = Thread.currentThread();
        String poolName = thread.getName();
        thread.setName(poolName + " " + name);
        try {
            work.run();
        } catch (Throwable e) {
            log.warn("background task failed task={} cause={}", name, e.toString(), e);
        } finally {
            thread.setName(poolName);
        }
    }

    @Override
    public void close() {
        tasks.values().forEach(f -> f.cancel(false));
        tasks.clear();
        pool.shutdownNow();
        try {
            if (!pool.awaitTermination(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                log.warn("background tasks still running after {} s at shutdown", CLOSE_WAIT.toSeconds());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
