package dev.oxbow.controlplane.history;

import dev.oxbow.controlplane.background.BackgroundTasks;
import dev.oxbow.controlplane.metrics.ControlPlaneMetrics;
import dev.oxbow.metadata.Branch;
import dev.oxbow.metadata.MetadataStore;
import dev.oxbow.metadata.Project;
import dev.oxbow.storage.PointInTimeRecovery.Target;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Time travel: the one owner of the ephemeral read-only computes that serve connections at a past point of a branch.
 * One compute per (branch, point) is started on the first connection and shared by later ones (concurrent first
 * connections share one start); once no connection has used it for its idle time, or its branch is gone, the idle
 * pass removes it (server and files). They are no endpoints: nothing is written to metadata, so no API lists them,
 * and {@link #start} removes whatever a previous process left on disk before anything can be served.
 */
public final class PastComputes implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PastComputes.class);
    /** The name the point has in refusals (the startup option and host-name form both call it {@code at}). */
    public static final String FIELD = "at";

    /** Starts and removes the servers themselves; {@link PastServers} in production. */
    public interface Servers {
        /** Builds and starts a read-only server at the point, under {@code uid}; returns its socket directory once it serves the point. */
        Path start(Project project, Branch branch, Target point, String uid) throws Exception;

        /** Stops the server and deletes its files; never throws. */
        void remove(Project project, String uid);

        /** Removes what an earlier process left: servers still running on time-travel data directories, and the directories. */
        void sweep(List<Project> projects);

        /** Refuses a point outside the project's restore window or in the future, before anything is started. */
        void checkWindow(Project project, Target point);
    }

    /** Which compute serves a connection: a branch and the exact point asked for (an LSN, or a time to the microsecond). */
    public record Key(String branchUid, String point) {
        static Key of(Branch branch, Target target) {
            return new Key(branch.uid(), target.lsn() != null ? "lsn " + target.lsn().toUpperCase(java.util.Locale.ROOT) : "time " + target.time());
        }
    }

    /** A connection's hold on a compute; {@link #release} once the connection ends (a second call does nothing). */
    public record Lease(String uid, Path socketDir, boolean started, Runnable release) {}

    /** One compute as the cache sees it now. */
    public record Running(String uid, String branch, String point, int connections, Instant lastUsed) {}

    private final Servers servers;
    private final MetadataStore store;
    private final Clock clock;
    private final ControlPlaneMetrics metrics;
    private final Map<Key, Entry> entries = new HashMap<>(); // guarded by this

    public PastComputes(Servers servers, MetadataStore store, Clock clock, ControlPlaneMetrics metrics) {
        this.servers = servers;
        this.store = store;
        this.clock = clock;
        this.metrics = metrics;
    }

    /** Removes what a previous process left, then schedules the idle pass (beside the endpoints' idle suspender). */
    public void start(BackgroundTasks tasks, Duration checkEvery) {
        servers.sweep(store.projects().all());
        tasks.every("time-travel-idle", checkEvery, checkEvery, this::removeIdle);
    }

    /**
     * Counts a connection at the point and returns the compute serving it, starting one if none runs. Blocks while
     * the compute starts; throws the window refusal ({@code ApiException}) or why the start failed.
     */
    public Lease acquire(Project project, Branch branch, Target point, Duration idleAfter) throws Exception {
        servers.checkWindow(project, point);
        Key key = Key.of(branch, point);
        Entry entry;
        boolean starter = false;
        synchronized (this) {
            entry = entries.get(key);
            if (entry == null) {
                entry = new Entry(key, project, branch.name(), newUid(), idleAfter);
                entries.put(key, entry);
                starter = true;
            }
            entry.connections++;
            entry.lastUsed = clock.instant();
        }
        if (starter) {
            startServer(entry, project, branch, point);
        }
        try {
            Path socketDir = entry.ready.get();
            metrics.timeTravelConnection(starter);
            if (!starter) {
                log.info("time-travel compute reused uid={} branch={} point={}", entry.uid, entry.branchName, key.point());
            }
            return new Lease(entry.uid, socketDir, starter, releaser(entry));
        } catch (ExecutionException e) {
            release(entry);
            throw e.getCause() instanceof Exception cause ? cause : e;
        } catch (InterruptedException e) {
            release(entry);
            Thread.currentThread().interrupt();
            throw e;
        }
    }

    private void startServer(Entry entry, Project project, Branch branch, Target point) {
        long begin = System.nanoTime();
        try {
            Path socketDir = servers.start(project, branch, point, entry.uid);
            log.info("time-travel compute started uid={} branch={} point={} ms={}", entry.uid, branch.name(), entry.key.point(),
                    (System.nanoTime() - begin) / 1_000_000);
            entry.ready.complete(socketDir);
        } catch (Exception | Error e) {
            synchronized (this) {
                entries.remove(entry.key, entry); // the next connection tries again
            }
            log.warn("time-travel compute not started branch={} point={} cause={}", branch.name(), entry.key.point(), e.getMessage());
            entry.ready.completeExceptionally(e);
        }
    }

    private Runnable releaser(Entry entry) {
        AtomicBoolean released = new AtomicBoolean();
        return () -> {
            if (released.compareAndSet(false, true)) {
                release(entry);
            }
        };
    }

    private synchronized void release(Entry entry) {
        entry.connections--;
        entry.lastUsed = clock.instant();
    }

    /** One idle pass: removes computes no connection used for their idle time, and those whose branch is gone. */
    public void removeIdle() {
        Instant now = clock.instant();
        List<Entry> idle = new ArrayList<>();
        synchronized (this) {
            entries.values().removeIf(e -> {
                boolean remove = e.ready.isDone() && e.connections == 0
                        && (!now.isBefore(e.lastUsed.plus(e.idleAfter)) || branchGone(e));
                if (remove) {
                    idle.add(e);
                }
                return remove;
            });
        }
        for (Entry e : idle) {
            remove(e, "idle_s=" + Duration.between(e.lastUsed, now).toSeconds());
        }
    }

    private boolean branchGone(Entry e) {
        return store.branches().get(e.branchName).filter(b -> !b.deleted() && b.uid().equals(e.key.branchUid())).isEmpty();
    }

    private void remove(Entry e, String why) {
        if (e.ready.isCompletedExceptionally()) {
            return; // its start failed and already cleaned up
        }
        servers.remove(e.project, e.uid);
        metrics.timeTravelRemoved();
        log.info("time-travel compute removed uid={} branch={} point={} {}", e.uid, e.branchName, e.key.point(), why);
    }

    /** The computes running now (for the console, metrics and tests). */
    public synchronized List<Running> running() {
        return entries.values().stream().filter(e -> e.ready.isDone() && !e.ready.isCompletedExceptionally())
                .map(e -> new Running(e.uid, e.branchName, e.key.point(), e.connections, e.lastUsed)).toList();
    }

    /** Removes every compute (at shutdown, after the background tasks stopped and before the runtime closes). */
    @Override
    public void close() {
        List<Entry> all;
        synchronized (this) {
            all = new ArrayList<>(entries.values());
            entries.clear();
        }
        for (Entry e : all) {
            if (e.ready.isDone()) {
                remove(e, "reason=shutdown");
            }
        }
    }

    private static String newUid() {
        // a new uid per compute: a removed one's directories never meet its successor at the same point
        byte[] b = new byte[6];
        ThreadLocalRandom.current().nextBytes(b);
        return "tt-" + HexFormat.of().formatHex(b);
    }

    private static final class Entry {
        final Key key;
        final Project project;
        final String branchName;
        final String uid;
        final Duration idleAfter;
        final CompletableFuture<Path> ready = new CompletableFuture<>();
        int connections;
        Instant lastUsed;

        Entry(Key key, Project project, String branchName, String uid, Duration idleAfter) {
            this.key = key;
            this.project = project;
            this.branchName = branchName;
            this.uid = uid;
            this.idleAfter = idleAfter;
        }
    }
}
