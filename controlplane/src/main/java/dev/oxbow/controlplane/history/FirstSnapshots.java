package dev.oxbow.controlplane.history;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 */
public final class FirstSnapshots implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(FirstSnapshots.class);

    /** Takes the first snapshot of the named branch, if it still needs one. */
    @FunctionalInterface
    public interface Work {
        void take(String branchName) throws Exception;
    }

    /** One queued snapshot: {@code started} and {@code cancelled} change under its monitor. */
    private static final class Pending {
        final CompletableFuture<Void> done = new CompletableFuture<>();
        boolean started;
        boolean cancelled;
    }

    private final Work work;
    private final ExecutorService pool;
    private final Map<String, Pending> pending = new ConcurrentHashMap<>();

    /** One thread: snapshots are disk-bound copies, several at once would only slow each other (and the creates). */
    public FirstSnapshots(Work work) {
        this(work, Executors.newSingleThreadExecutor(Thread.ofPlatform().name("oxbow-first-snapshot").daemon().factory()));
    }

    FirstSnapshots(Work work, ExecutorService pool) {
        this.work = work;
        this.pool = pool;
    }

    /** Queues the branch's first snapshot; a request while one is queued or running is the same request. */
    public void takeSoon(String branchName) {
        Pending p = new Pending();
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
                return;
            }
        }
        awaitDone(p);
    }

    /** Waits until the branch has no first snapshot queued or running (taken, failed or cancelled). */
    public void await(String branchName) throws InterruptedException {
        Pending p = pending.get(branchName);
        if (p != null) {
            awaitDone(p);
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
