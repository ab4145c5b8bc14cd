package dev.oxbow.controlplane.cdf;

import dev.oxbow.controlplane.background.BackgroundTasks;
import dev.oxbow.controlplane.compute.ComputeActivity;
import dev.oxbow.controlplane.compute.Computes;
import dev.oxbow.controlplane.resource.Defaults;
import dev.oxbow.controlplane.resource.Layout;
import dev.oxbow.metadata.Branch;
import dev.oxbow.metadata.CdfConfig;
import dev.oxbow.metadata.CdfState;
import dev.oxbow.metadata.CdfStatus;
import dev.oxbow.metadata.Endpoint;
import dev.oxbow.metadata.EndpointState;
import dev.oxbow.metadata.MetadataStore;
import dev.oxbow.metadata.Project;
import dev.oxbow.sync.cdf.ChangeFeed;
import dev.oxbow.sync.cdf.FeedConnections;
import dev.oxbow.sync.cdf.FeedTableStatus;
import dev.oxbow.compute.Lsn;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Runs every change feed: one background task per config makes sure the feed's own thread passes over the slot
 * while the branch's read-write compute is ACTIVE, under a lease taken only if it already runs
 * ({@link Computes#leaseIfActive}), so a feed never wakes a compute. While the compute is in use the pass keeps its
 * replication stream open (commits reach Delta about as soon as Postgres sends them); once the compute nears its
 * suspend timeout with no client ({@link ComputeActivity#suspendsWithin}), or its record leaves ACTIVE, the stream is
 * closed and the feed goes back to short passes, so the idle suspender finds no lease most of the time and suspends;
 * after a wake the next pass catches up from the slot. Table statuses are stored as the feed reports them.
 */
public final class CdfRunner implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CdfRunner.class);
    private final MetadataStore store;
    private final Computes computes;
    private final Layout layout;
    private final CdfSettings settings;
    private final Clock clock;
    private final Map<String, BackgroundTasks.Task> loops = new ConcurrentHashMap<>();
    private final Map<String, ChangeFeed> feeds = new ConcurrentHashMap<>();
    private final Map<String, Long> retained = new ConcurrentHashMap<>();
    private final Map<String, Object> locks = new ConcurrentHashMap<>();
    /** Per config, the thread its passes run on (a stream may stay open for long: not on the background pool). */
    private final Map<String, Thread> runners = new ConcurrentHashMap<>();
    /** Changes applied per config by feed objects no longer in use (one is remade after a failed pass). */
    private final Map<String, java.util.concurrent.atomic.AtomicLong> appliedTotals = new ConcurrentHashMap<>();
    private final Map<String, Long> lag = new ConcurrentHashMap<>();
    private final ComputeActivity activity;
    private volatile BackgroundTasks tasks;
    private volatile boolean closed;

    /**
     * A stream closes this long before the compute could be suspended for idleness, so the suspender (which checks
     * every few seconds) finds the lease gone.
     */
    static final Duration SUSPEND_MARGIN = Duration.ofSeconds(10);

    public CdfRunner(MetadataStore store, Computes computes, ComputeActivity activity, Layout layout, CdfSettings settings, Clock clock) {
        this.store = store;
        this.computes = computes;
        this.activity = activity;
        this.layout = layout;
        this.settings = settings;
        this.clock = clock;
    }

    public void start(BackgroundTasks tasks) {
        this.tasks = tasks;
        store.cdfConfigs().all().forEach(c -> follow(c.name()));
        tasks.every("cdf-orphan-slots", Duration.ofSeconds(5), Duration.ofSeconds(30), this::sweepOrphanSlots);
    }

    /**
     * Drops feed slots and publications no config of their branch owns: a branch cloned (or restored) from one with a
     * feed holds a copy of its slot, which would keep WAL forever. Only on ACTIVE computes (never wakes one).
     */
    void sweepOrphanSlots() {
        for (Branch branch : store.branches().all()) {
            try {
                if (branch.deleted()) continue;
                java.nio.file.Path slots = layout.dataDir(store.projects().get(Project.nameOf(branch.projectId())).orElseThrow(), branch,
                        computes.readWriteEndpoint(branch)).resolve("pg_replslot");
                boolean any;
                try (var list = java.nio.file.Files.list(slots)) {
                    any = list.anyMatch(p -> p.getFileName().toString().startsWith("oxbow_cdf_"));
                } catch (java.io.IOException e) {
                    continue;
                }
                if (!any) continue;
                java.util.Set<String> owned = new java.util.HashSet<>();
                store.cdfConfigs().listUnder(branch.name() + "/").forEach(c -> owned.add("oxbow_cdf_" + c.feedId()));
                Project project = store.projects().get(Project.nameOf(branch.projectId())).orElseThrow();
                Optional<Computes.Lease> lease = computes.leaseIfActive(project, branch, "cdf sweep");
                if (lease.isEmpty()) continue;
                try (Computes.Lease held = lease.get()) {
                    FeedConnections admin = new FeedConnections(layout.socketDir(held.endpoint()), "postgres", Defaults.SYSTEM_ROLE);
                    java.util.List<String[]> orphans = new java.util.ArrayList<>();
                    try (var c = admin.admin(); var s = c.createStatement(); var rs = s.executeQuery(
                            "SELECT slot_name::text, database::text FROM pg_catalog.pg_replication_slots WHERE slot_name LIKE 'oxbow\\_cdf\\_%'")) {
                        while (rs.next()) if (!owned.contains(rs.getString(1))) orphans.add(new String[] {rs.getString(1), rs.getString(2)});
                    }
                    for (String[] o : orphans) {
                        try (var c = new FeedConnections(layout.socketDir(held.endpoint()), o[1], Defaults.SYSTEM_ROLE).admin()) {
                            ChangeFeed.drop(c, o[0]);
                            log.info("cdf: dropped orphan slot branch={} slot={} (no feed of this branch owns it)", branch.name(), o[0]);
                        }
                    }
                }
            } catch (Exception e) {
                log.debug("cdf orphan sweep skipped branch={} cause={}", branch.name(), e.toString());
            }
        }
    }

    /** WAL the feed's slot held at its last pass, in bytes (empty before the first). */
    public Optional<Long> retainedWalBytes(String configName) {
        ChangeFeed live = feeds.get(configName); // while a stream is open, what its set-up saw
        Long seen = live == null ? null : live.retainedBytes();
        return Optional.ofNullable(seen != null ? seen : retained.get(configName));
    }

    /** WAL written past what the feed confirmed, in bytes, as last seen (empty before the first pass). */
    public Optional<Long> lagBytes(String configName) {
        ChangeFeed live = feeds.get(configName);
        return live != null ? Optional.of(live.lagBytes()) : Optional.ofNullable(lag.get(configName));
    }

    /** Changes the feed applied to Delta since this server started. */
    public long appliedChanges(String configName) {
        java.util.concurrent.atomic.AtomicLong gone = appliedTotals.get(configName);
        ChangeFeed live = feeds.get(configName);
        return (gone == null ? 0 : gone.get()) + (live == null ? 0 : live.appliedTotal());
    }

    /** Drops the feed object of {@code name}, keeping its count of applied changes. */
    private void retire(String name) {
        ChangeFeed gone = feeds.remove(name);
        if (gone != null) appliedTotals.computeIfAbsent(name, k -> new java.util.concurrent.atomic.AtomicLong()).addAndGet(gone.appliedTotal());
    }

    /** Every feed's figures for /metrics, from what the runner last saw and the stored statuses (no compute is read). */
    public java.util.List<dev.oxbow.controlplane.metrics.ControlPlaneMetrics.FeedFigures> figures(java.time.Instant now) {
        java.util.List<dev.oxbow.controlplane.metrics.ControlPlaneMetrics.FeedFigures> out = new java.util.ArrayList<>();
        for (CdfConfig c : store.cdfConfigs().all()) {
            Double age = store.cdfStatuses().list(c.name()).stream().map(CdfStatus::lastSyncTime).filter(java.util.Objects::nonNull)
                    .max(java.util.Comparator.naturalOrder()).map(t -> Duration.between(t, now).toMillis() / 1000.0).orElse(null);
            out.add(new dev.oxbow.controlplane.metrics.ControlPlaneMetrics.FeedFigures(c.projectId(), c.name(), lagBytes(c.name()).orElse(null),
                    retainedWalBytes(c.name()).orElse(null), age, appliedChanges(c.name())));
        }
        return out;
    }

    void follow(String name) {
        if (tasks == null) return; // not started (unit tests): passes run through passNow
        String id = name.substring(name.lastIndexOf('/') + 1);
        loops.computeIfAbsent(name, n -> tasks.every("cdf " + id, Duration.ZERO, settings.pollInterval(), () -> runOnOwnThread(n, id)));
    }

    private void runOnOwnThread(String name, String id) {
        runners.compute(name, (n, running) -> {
            if (closed || (running != null && running.isAlive())) return running;
            return Thread.ofPlatform().daemon().name("oxbow-cdf-" + id).start(() -> {
                try {
                    pass(n, true);
                } catch (Exception e) {
                    log.warn("cdf pass failed config={} cause={}", n, e.toString());
                }
            });
        });
    }

    void stopFollowing(String name) {
        BackgroundTasks.Task t = loops.remove(name);
        if (t != null) t.cancel(); // an open stream sees it at its next idle moment and ends
        synchronized (lock(name)) {
            retire(name);
        }
    }

    /** One pass if the compute is ACTIVE; false when it is not (nothing read, the compute left alone). */
    public boolean passNow(String name) throws Exception {
        return pass(name, false);
    }

    /** Whether an open stream of feed {@code name} on {@code endpoint} stays open: see the class comment. */
    private boolean keepStreaming(String name, Endpoint endpoint) {
        if (closed || !loops.containsKey(name)) return false;
        Endpoint current = store.endpoints().get(endpoint.name()).orElse(null);
        return current != null && current.state() == EndpointState.ACTIVE && !current.disabled()
                && !activity.suspendsWithin(current, SUSPEND_MARGIN);
    }

    private boolean pass(String name, boolean mayStream) throws Exception {
        synchronized (lock(name)) {
            Optional<CdfConfig> found = store.cdfConfigs().get(name);
            if (found.isEmpty()) return false;
            CdfConfig config = found.get();
            boolean stopped = store.cdfStatuses().list(name).stream().anyMatch(s -> s.state() == CdfState.CDF_STATE_TERMINATED)
                    && store.cdfStatuses().list(name).stream().noneMatch(s -> s.state() == CdfState.CDF_STATE_STREAMING
                    || s.state() == CdfState.CDF_STATE_SNAPSHOTTING);
            Branch branch = store.branches().get(config.branchName()).filter(b -> !b.deleted()).orElse(null);
            Project project = store.projects().get(Project.nameOf(config.projectId())).orElse(null);
            if (branch == null || project == null) return false;
            if (stopped) {
                // every table stopped (slot dropped, or DDL Delta cannot follow): nothing reads the slot any more, so it must
                // not keep WAL; the config stays, with its statuses, until it is deleted and created again
                Optional<Computes.Lease> lease = computes.leaseIfActive(project, branch, "cdf stop " + config.cdfConfigId());
                if (lease.isPresent()) {
                    try (Computes.Lease held = lease.get();
                         var c = new FeedConnections(layout.socketDir(held.endpoint()), config.postgresDatabase(), Defaults.SYSTEM_ROLE).admin()) {
                        ChangeFeed.drop(c, "oxbow_cdf_" + config.feedId());
                    }
                }
                retire(name);
                return false;
            }
            Optional<Computes.Lease> lease = computes.leaseIfActive(project, branch, "cdf " + config.cdfConfigId());
            if (lease.isEmpty()) return false;
            try (Computes.Lease held = lease.get()) {
                Endpoint primary = held.endpoint();
                ChangeFeed feed = feeds.computeIfAbsent(name, n -> newFeed(config));
                try {
                    ChangeFeed.PassResult r = feed.pass(new FeedConnections(layout.socketDir(primary), config.postgresDatabase(), Defaults.SYSTEM_ROLE),
                            mayStream ? () -> keepStreaming(name, primary) : () -> false);
                    retained.put(name, r.retainedBytes());
                    if (!settings.dropOnLimit() && r.retainedBytes() > settings.maxRetainedWalBytes()) {
                        log.warn("cdf slot past its WAL limit config={} retained_bytes={} limit={} (kept: --cdf-drop-slot-on-limit=false)", name,
                                r.retainedBytes(), settings.maxRetainedWalBytes());
                    }
                } catch (Exception e) {
                    retire(name); // its in-memory view may be ahead of the files: reloaded from them next pass
                    throw e;
                } finally {
                    lag.put(name, feed.lagBytes());
                }
            }
            return true;
        }
    }

    private ChangeFeed newFeed(CdfConfig config) {
        Map<String, FeedTableStatus> known = new LinkedHashMap<>();
        for (CdfStatus s : store.cdfStatuses().list(config.name())) {
            known.put(s.postgresTable(), new FeedTableStatus(s.postgresTable(), s.state().name(),
                    s.committedLsn() == null ? 0 : Lsn.parse(s.committedLsn()), s.lastSyncTime(), s.statusDetail()));
        }
        ChangeFeed.Config feedConfig = new ChangeFeed.Config(config.feedId(), config.postgresSchema(), Path.of(config.destination()),
                settings.checkpointInterval(), settings.dropOnLimit() ? settings.maxRetainedWalBytes() : Long.MAX_VALUE, settings.batchRows(), settings.idleEnd(), settings.passBudget(),
                settings.batchInterval(), settings.streamFor());
        return new ChangeFeed(feedConfig, known, s -> record(config, s));
    }

    private void record(CdfConfig config, FeedTableStatus s) {
        String statusName = config.name() + "/cdf-statuses/" + s.pgTable();
        var before = store.cdfStatuses().get(statusName);
        store.cdfStatuses().put(new CdfStatus(config.name(), s.pgTable(), config.catalog() + "." + config.schema() + "." + s.pgTable(),
                CdfState.valueOf(s.state()), s.committedLsn() == 0 ? null : Lsn.format(s.committedLsn()),
                before.map(CdfStatus::createTime).orElse(clock.instant()), s.lastSyncTime(), s.detail()));
    }

    private Object lock(String name) {
        return locks.computeIfAbsent(name, k -> new Object());
    }

    @Override
    public void close() {
        closed = true;
        loops.keySet().forEach(n -> {
            BackgroundTasks.Task t = loops.remove(n);
            if (t != null) t.cancel();
        });
        // open streams end at their next idle moment (a batch in flight is committed first)
        for (Thread t : runners.values()) {
            try {
                t.join(Duration.ofSeconds(30));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
