package dev.oxbow.controlplane.history;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A cloned branch's first snapshot (a second copy of its data), taken in the background once its create is done,
 * on a thread of its own rather than the project's operation queue: the next create in the project does not wait
 * behind it. Until it exists the branch's points are bridged to its parent's history ({@link Timelines.Bridge}); a
 * snapshot lost to a restart is taken by the next history-maintenance pass.
 *
 * <p>The guard per branch: whatever replaces or removes a branch's files (delete, restore, reset, project delete)
 * first calls {@link #cancel}, which drops a snapshot not started yet and waits for one that is; a clone of the
 * branch calls {@link #await}, so a child's branch point comes after its parent's first snapshot (the child's bridge
 * starts from it).
 *
 * <p>Quiet period: a queued snapshot starts only once no create has run for {@link Quiet#period()} (or it has waited
 * {@link Quiet#longest()}, or a clone of its branch waits for it), so back-to-back creates do not copy beside it: on ext4
 * both are disk-bound copies of the same size (the snapshot with its own checkpoint), competing for the disk and the cores. Waiting costs nothing in history:
 * until the snapshot exists the branch's points are bridged to the parent's, whose WAL is retained.
 */
public final class FirstSnapshots implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(FirstSnapshots.class);

    /** Takes the first snapshot of the named branch, if it still needs one. */
    @FunctionalInterface
    public interface Work {
        void take(String branchName) throws Exception;
    }

    /** How long a snapshot waits after the last create ({@code period}), and at most after it was queued ({@code longest}). */
    public record Quiet(Duration period, Duration longest) {
        public static final Quiet DEFAULT = new Quiet(Duration.ofSeconds(1), Duration.ofSeconds(30));
        public static final Quiet NONE = new Quiet(Duration.ZERO, Duration.ZERO);

        /** How much longer a snapshot queued at {@code queued} waits at {@code now}; zero or less: it starts. */
        Duration remaining(Instant now, Instant queued, int createsRunning, Instant lastCreateEnd) {
            Duration untilLongest = Duration.between(now, queued.plus(longest));
            if (createsRunning > 0 || !untilLongest.isPositive()) {
                return untilLongest;
            }
            Duration untilQuiet = Duration.between(now, lastCreateEnd.plus(period));
            return untilQuiet.compareTo(untilLongest) < 0 ? untilQuiet : untilLongest;
        }
    }

    /** One queued snapshot: {@code started} and {@code cancelled} change under its monitor, {@code urgent} under {@link #quietLock}. */
    private static final class Pending {
        final CompletableFuture<Void> done = new CompletableFuture<>();
        final Instant queued;
        boolean started;
        boolean cancelled;
        boolean urgent;

        Pending(Instant queued) {
            this.queued = queued;
        }
    }

    private final Work work;
    private final ExecutorService pool;
    private final Map<String, Pending> pending = new ConcurrentHashMap<>();
    private final Clock clock;
    private final Quiet quiet;
    /** Guards {@link #creates}, {@link #lastCreateEnd} and every {@link Pending#urgent}; notified when one changes. */
    private final Object quietLock = new Object();
    private int creates;
    private Instant lastCreateEnd = Instant.MIN;

    /** One thread: snapshots are disk-bound copies, several at once would only slow each other (and the creates). */
    public FirstSnapshots(Work work) {
        this(work, Executors.newSingleThreadExecutor(Thread.ofPlatform().name("oxbow-first-snapshot").daemon().factory()),
                Clock.systemUTC(), Quiet.DEFAULT);
    }

    FirstSnapshots(Work work, ExecutorService pool) {
        this(work, pool, Clock.systemUTC(), Quiet.NONE);
    }

    FirstSnapshots(Work work, ExecutorService pool, Clock clock, Quiet quiet) {
        this.work = work;
        this.pool = pool;
        this.clock = clock;
        this.quiet = quiet;
    }

    /** Marks a create running until the returned handle is closed: queued snapshots wait for the quiet period after it. */
    public AutoCloseable creating() {
        synchronized (quietLock) {
            creates++;
        }
        return new AutoCloseable() {
            private boolean closed;

            @Override
            public void close() {
                synchronized (quietLock) {
                    if (!closed) {
                        closed = true;
                        creates--;
                        lastCreateEnd = clock.instant();
                        quietLock.notifyAll();
                    }
                }
            }
        };
    }

    /** Queues the branch's first snapshot; a request while one is queued or running is the same request. */
    public void takeSoon(String branchName) {
        Pending p = new Pending(clock.instant());
        if (pending.putIfAbsent(branchName, p) != null) {
            return;
        }
        try {
            pool.execute(() -> run(branchName, p));
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            pending.remove(branchName, p);
            p.done.complete(null); // shutting down: history maintenance takes it after the restart
        }
    }

    /** True while the branch's first snapshot is queued or being taken. */
    public boolean pending(String branchName) {
        return pending.containsKey(branchName);
    }

    /** Drops the branch's queued first snapshot, or waits for the one being taken; after it returns none runs. */
    public void cancel(String branchName) throws InterruptedException {
        Pending p = pending.get(branchName);
        if (p == null) {
            return;
        }
        synchronized (p) {
            if (!p.started) {
                p.cancelled = true;
                pending.remove(branchName, p);
                p.done.complete(null);
                log.info("first snapshot cancelled branch={}", branchName);
                recheck(); // the worker may be waiting for quiet on its behalf
                return;
            }
        }
        awaitDone(p);
    }

    /** Waits until the branch has no first snapshot queued or running (taken, failed or cancelled). */
    public void await(String branchName) throws InterruptedException {
        Pending p = pending.get(branchName);
        if (p != null) {
            synchronized (quietLock) {
                p.urgent = true; // a clone of the branch waits for it: no quiet period
                quietLock.notifyAll();
            }
            awaitDone(p);
        }
    }

    /** Wakes a snapshot waiting for quiet to look at the clock again (tests move a fake clock). */
    void recheck() {
        synchronized (quietLock) {
            quietLock.notifyAll();
        }
    }

    /** Waits until no create ran for the quiet period, this snapshot waited the longest, or any queued one is urgent. */
    private void awaitQuiet(String branchName, Pending p) throws InterruptedException {
        synchronized (quietLock) {
            while (true) {
                if (pending.get(branchName) != p || pending.values().stream().anyMatch(q -> q.urgent)) {
                    return;
                }
                Duration left = quiet.remaining(clock.instant(), p.queued, creates, lastCreateEnd);
                if (!left.isPositive()) {
                    break;
                }
                quietLock.wait(Math.max(1, left.toMillis()));
            }
        }
        long waited = Duration.between(p.queued, clock.instant()).toMillis();
        if (waited > 0) {
            log.info("first snapshot starts after quiet branch={} waited_ms={}", branchName, waited);
        }
    }

    private static void awaitDone(Pending p) throws InterruptedException {
        try {
            p.done.get();
        } catch (java.util.concurrent.ExecutionException e) {
            // a failed snapshot is logged where it ran; the caller only needs it to be over
        }
    }

    private void run(String branchName, Pending p) {
        try {
            awaitQuiet(branchName, p);
        } catch (InterruptedException closing) {
            pending.remove(branchName, p);
            p.done.complete(null); // history maintenance takes it after the restart
            return;
        }
        synchronized (p) {
            if (p.cancelled) {
                return;
            }
            p.started = true;
        }
        try {
            work.take(branchName);
        } catch (Exception e) {
            log.warn("first snapshot not taken branch={} cause={} (the next maintenance pass retries)", branchName, String.valueOf(e));
        } finally {
            pending.remove(branchName, p);
            p.done.complete(null);
        }
    }

    /** Interrupts a snapshot being taken (its half-made copy is removed by the store; the next start takes it again). */
    @Override
    public void close() {
        pool.shutdownNow();
        try {
            pool.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        pending.values().forEach(p -> p.done.complete(null));
    }
}
