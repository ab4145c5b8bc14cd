package dev.oxbow.controlplane.compute;

import dev.oxbow.controlplane.background.BackgroundTasks;
import dev.oxbow.metadata.BranchState;
import dev.oxbow.metadata.EndpointState;
import dev.oxbow.controlplane.metrics.ControlPlaneMetrics;
import dev.oxbow.controlplane.resource.MetadataCache;
import dev.oxbow.controlplane.resource.ApiException;
import dev.oxbow.controlplane.resource.Layout;
import dev.oxbow.compute.ComputeException;
import dev.oxbow.metadata.Branch;
import dev.oxbow.metadata.Endpoint;
import dev.oxbow.metadata.MetadataStore;
import dev.oxbow.metadata.Project;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Scale to zero: counts client connections per endpoint, wakes a suspended compute on the first one
 * (concurrent connections share one wake-up), and suspends a compute whose last client left longer ago
 * than its suspend timeout. Waking and suspending one endpoint never overlap.
 */
public final class ComputeActivity implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ComputeActivity.class);

    private final MetadataStore store;
    private final Computes computes;
    private final Layout layout;
    private final Clock clock;
    private final Map<String, AtomicInteger> connections = new ConcurrentHashMap<>();
    private final Map<String, Instant> lastActivity = new ConcurrentHashMap<>();
    private final Map<String, CompletableFuture<Path>> wakes = new ConcurrentHashMap<>();
    private final Map<String, Object> locks = new ConcurrentHashMap<>();
    /**
     * Endpoints whose suspend is under way. A suspend marks the endpoint before it checks the connection count, and
     * {@link #acquire} counts before it checks the mark: so either the suspend sees the connection and leaves the
     * compute running, or the connection sees the mark and wakes the compute again once the suspend is done (never
     * handing a client a server that is shutting down; a pooled client's query would otherwise fail).
     */
    private final java.util.Set<String> suspending = ConcurrentHashMap.newKeySet();
    private final ExecutorService wakers = Executors.newCachedThreadPool(Thread.ofPlatform().name("oxbow-wake-", 0).daemon().factory());

    private final ControlPlaneMetrics metrics;
    /** A crashed pooler is back within milliseconds; a client waits this long before it is refused. */
    private static final Duration POOLER_WAIT = Duration.ofSeconds(15);
    private volatile SessionEnder sessions = SessionEnder.NONE;
    /**
     * Endpoint records by uid, kept while the metadata is unchanged (exact: any write makes them stale): a pooled
     * session acquires on every transaction, on the proxy's event loop, and read SQLite and decoded JSON each time.
     */
    private final MetadataCache<Optional<Endpoint>> byUid;

    public ComputeActivity(MetadataStore store, Computes computes, Layout layout, Clock clock, ControlPlaneMetrics metrics) {
        this.metrics = metrics;
        this.store = store;
        this.computes = computes;
        this.layout = layout;
        this.clock = clock;
        this.byUid = new MetadataCache<>(store, clock, 10_000);
    }

    /** Schedules the idle suspender. */
    public void start(BackgroundTasks tasks, Duration checkEvery) {
        tasks.every("idle-suspender", checkEvery, checkEvery, this::suspendIdle);
    }

    /** What ends open sessions before {@link #suspendNow} stops their compute (the proxy, once it runs). */
    public void endSessionsWith(SessionEnder ender) {
        this.sessions = ender;
    }

    public Optional<Endpoint> endpointByUid(String uid) {
        return byUid.get(uid, () -> new MetadataCache.Loaded<>(store.endpoints().getByUid(uid), Instant.MAX));
    }

    /** Counts a connection and returns the running compute's socket directory, waking it if needed. */
    public CompletableFuture<Path> acquire(String endpointUid) {
        return acquire(endpointUid, endpointByUid(endpointUid));
    }

    /**
     * {@link #acquire(String)} for a caller that holds the endpoint's current record (the Data API keeps it until the
     * metadata changes): no metadata read when the compute runs.
     */
    public CompletableFuture<Path> acquire(Endpoint current) {
        return acquire(current.uid(), Optional.of(current));
    }

    private CompletableFuture<Path> acquire(String endpointUid, Optional<Endpoint> endpoint) {
        connections.computeIfAbsent(endpointUid, k -> new AtomicInteger()).incrementAndGet();
        lastActivity.put(endpointUid, clock.instant());
        if (endpoint.isPresent() && computes.running(endpoint.get()) && endpoint.get().state() == EndpointState.ACTIVE
                && !suspending.contains(endpointUid)) {
            return CompletableFuture.completedFuture(layout.socketDir(endpoint.get()));
        }
        return wakes.computeIfAbsent(endpointUid, uid -> {
            CompletableFuture<Path> wake = CompletableFuture.supplyAsync(() -> wake(uid), wakers);
            wake.whenComplete((p, e) -> wakes.remove(uid));
            return wake;
        });
    }

    /**
     * {@link #acquire} for a pooled host: the same count and wake-up, then the socket directory of the compute's
     * pooler, waiting (off the caller's thread) while a crashed pooler is being restarted.
     */
    public CompletableFuture<Path> acquirePooled(String endpointUid) {
        // a pooler that runs is answered on the caller's thread: a hop to the wake pool cost each pooled login a thread wake-up
        return acquire(endpointUid).thenCompose(direct -> computes.runtime().pooler(endpointUid)
                .map(running -> CompletableFuture.completedFuture(running.socketDir()))
                .orElseGet(() -> CompletableFuture.supplyAsync(() -> poolerSocketDir(endpointUid), wakers)));
    }

    private Path poolerSocketDir(String endpointUid) {
        var runtime = computes.runtime();
        try {
            return runtime.awaitPooler(endpointUid, POOLER_WAIT).map(dev.oxbow.compute.RunningPooler::socketDir)
                    .orElseThrow(() -> new IllegalStateException("its connection pooler is not running: "
                            + runtime.poolerUnavailable().orElse("it failed to start; see pgbouncer.log beside the compute's log")
                            + "; the direct host still works"));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the connection pooler", e);
        }
    }

    public void release(String endpointUid) {
        AtomicInteger count = connections.get(endpointUid);
        if (count != null) {
            count.decrementAndGet();
        }
        lastActivity.put(endpointUid, clock.instant());
    }

    public int connections(String endpointUid) {
        AtomicInteger count = connections.get(endpointUid);
        return count == null ? 0 : count.get();
    }

    private Path wake(String uid) {
        dev.oxbow.compute.PhaseTimer phases = dev.oxbow.compute.PhaseTimer.start();
        synchronized (lock(uid)) {
            phases.end("lock");
            Endpoint e = endpointByUid(uid).orElseThrow(() -> new IllegalStateException("endpoint " + uid + " no longer exists"));
            if (e.disabled()) {
                throw new IllegalStateException("endpoint " + e.name() + " is disabled");
            }
            Branch branch = store.branches().get(e.parentName()).filter(b -> !b.deleted())
                    .orElseThrow(() -> new IllegalStateException("branch " + e.parentName() + " is deleted"));
            Project project = store.projects().get(Project.nameOf(e.projectId())).filter(p -> !p.deleted())
                    .orElseThrow(() -> new IllegalStateException("project " + e.projectId() + " is deleted"));
            if (branch.state() != BranchState.READY) {
                throw new IllegalStateException("branch " + branch.name() + " is " + branch.state() + "; retry in a moment");
            }
            phases.end("lookup");
            try {
                boolean wasRunning = computes.running(e);
                Endpoint active = computes.start(project, branch, e, phases);
                if (!wasRunning) {
                    log.info("compute woken endpoint={} {}", e.name(), phases);
                    metrics.resumed(Duration.ofMillis(phases.totalMillis()));
                }
                return layout.socketDir(active);
            } catch (ComputeException ex) {
                throw new IllegalStateException(ex.getMessage(), ex);
            }
        }
    }

    /**
     * Whether the suspender may suspend this compute within {@code margin}: no client connected and idle for its
     * suspend timeout less the margin. Never for a compute that does not suspend. Work that holds a compute up only
     * while it is used (a change feed's open stream) steps back then, so the suspender finds it unleased.
     */
    public boolean suspendsWithin(Endpoint e, Duration margin) {
        if (e.noSuspension() || e.disabled() || e.suspendTimeoutSeconds() == null || connections(e.uid()) > 0) {
            return false;
        }
        Instant last = lastActivity.getOrDefault(e.uid(), e.lastActiveTime());
        if (last == null) {
            return false; // the suspender counts from its first look
        }
        return Duration.between(last, clock.instant()).plus(margin).getSeconds() >= e.suspendTimeoutSeconds();
    }

    /** One pass of the suspender; public so tests can run it without waiting. */
    public void suspendIdle() {
        Instant now = clock.instant();
        for (Endpoint e : store.endpoints().all()) {
            if (e.state() != EndpointState.ACTIVE || e.noSuspension() || e.disabled() || e.suspendTimeoutSeconds() == null) {
                continue;
            }
            Instant last = lastActivity.computeIfAbsent(e.uid(), k -> e.lastActiveTime() == null ? now : e.lastActiveTime());
            if (connections(e.uid()) > 0 || Duration.between(last, now).getSeconds() < e.suspendTimeoutSeconds()) {
                continue;
            }
            synchronized (lock(e.uid())) {
                suspending.add(e.uid());
                try {
                    Endpoint current = store.endpoints().get(e.name()).orElse(null);
                    if (current == null || connections(e.uid()) > 0 || current.state() != EndpointState.ACTIVE) {
                        continue;
                    }
                    if (computes.suspendUnlessLeased(current).isEmpty()) {
                        log.debug("compute idle but in use endpoint={} by={}", e.name(), computes.leases(current));
                        continue;
                    }
                    metrics.suspended();
                    log.info("compute suspended endpoint={} idle_s={}", e.name(), Duration.between(last, now).getSeconds());
                } catch (ComputeException ex) {
                    log.warn("cannot suspend endpoint={} cause={}", e.name(), ex.getMessage());
                } catch (RuntimeException ex) {
                    log.warn("suspend pass failed endpoint={} cause={}", e.name(), ex.getMessage());
                } finally {
                    suspending.remove(e.uid());
                }
            }
        }
    }

    /**
     * Suspends one compute now, on request (the console's Suspend button); a client connecting later
     * wakes it as usual. Computes with no_suspension are refused: they promise to be always on.
     */
    public Endpoint suspendNow(Endpoint endpoint) {
        if (endpoint.noSuspension()) {
            throw ApiException.invalidState("Endpoint " + endpoint.name() + " has no_suspension set; clear it to allow suspending.");
        }
        synchronized (lock(endpoint.uid())) {
            Endpoint current = store.endpoints().get(endpoint.name()).orElseThrow(() -> ApiException.notFound("endpoint", endpoint.name()));
            if (current.state() != EndpointState.ACTIVE) {
                throw ApiException.invalidState("Endpoint " + current.name() + " is " + current.state() + "; only an ACTIVE endpoint can be suspended.");
            }
            suspending.add(current.uid());
            try {
                int open = connections(current.uid());
                if (open > 0) {
                    // Postgres's own shutdown says only "terminating connection due to administrator command"
                    sessions.endSessions(current.uid(), "terminating connection because endpoint " + current.name()
                            + " was suspended; connect again to wake it");
                }
                Endpoint idle = computes.suspend(current, Computes.PooledClients.KEEP);
                metrics.suspended();
                log.info("compute suspended on request endpoint={} connections={}", current.name(), open);
                return idle;
            } catch (ComputeException ex) {
                throw ApiException.internal("Cannot suspend " + current.name() + ": " + ex.getMessage());
            } finally {
                suspending.remove(current.uid());
            }
        }
    }

    private Object lock(String uid) {
        return locks.computeIfAbsent(uid, k -> new Object());
    }

    @Override
    public void close() {
        wakers.shutdownNow();
    }
}
