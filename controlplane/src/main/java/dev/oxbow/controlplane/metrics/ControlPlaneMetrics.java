package dev.oxbow.controlplane.metrics;

import dev.oxbow.metadata.EndpointState;
import dev.oxbow.metadata.Endpoint;
import dev.oxbow.metadata.MetadataStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;
import java.util.function.ToIntFunction;

/**
 * The control plane's figures for /metrics: per-endpoint state, size and connections (refreshed at each
 * scrape), suspend and resume counts, cold-start latency, operation durations, and CU-hours per project.
 */
public final class ControlPlaneMetrics {
    private final MeterRegistry registry;
    private final MultiGauge endpointState;
    private final MultiGauge endpointCu;
    private final MultiGauge endpointConnections;
    private final Counter suspends;
    private final Counter resumes;
    private final Timer coldStart;
    private final MultiGauge syncVersionsBehind;
    private final MultiGauge syncSecondsSince;
    private final Map<String, DoubleAdder> cuSeconds = new ConcurrentHashMap<>();

    private final MultiGauge cdfLag;
    private final MultiGauge cdfRetained;
    private final MultiGauge cdfCommitAge;
    private final Map<String, java.util.concurrent.atomic.AtomicLong> cdfApplied = new ConcurrentHashMap<>();

    private final MultiGauge walShippedLsn;
    private final MultiGauge walShippedAge;
    private final MultiGauge bucketBytes;
    private final MultiGauge walBacklog;
    private final java.util.concurrent.atomic.AtomicInteger objectStoreUp = new java.util.concurrent.atomic.AtomicInteger(-1);

    /** One branch's shipping figures (the history package computes them). */
    public record BranchShipping(String projectId, String branchId, long shippedLsn, Double secondsSinceShipped, long bucketBytes, int backlogFiles) {}

    /**
     * One change feed's figures (the cdf package computes them; a scrape reads no compute): WAL written past what the
     * feed confirmed and WAL its slot keeps, both as of its last look (null before), seconds since a table of it last
     * committed to Delta (null before), and changes applied since this server started.
     */
    public record FeedFigures(String projectId, String cdfConfig, Long lagBytes, Long retainedWalBytes, Double secondsSinceCommit,
                              long appliedChanges) {}

    public ControlPlaneMetrics(MeterRegistry registry) {
        this.cdfLag = MultiGauge.builder("oxbow.cdf.lag.bytes").description("WAL written past what the change feed confirmed, as of its last look")
                .register(registry);
        this.cdfRetained = MultiGauge.builder("oxbow.cdf.retained.wal.bytes").description("WAL the change feed's replication slot keeps on the compute")
                .register(registry);
        this.cdfCommitAge = MultiGauge.builder("oxbow.cdf.last.commit.age.seconds").description("Seconds since the change feed last committed to Delta")
                .register(registry);
        this.walShippedLsn = MultiGauge.builder("oxbow.branch.wal.shipped.lsn").description("WAL position the object store holds for the branch").register(registry);
        this.walShippedAge = MultiGauge.builder("oxbow.branch.wal.shipped.age.seconds").description("Seconds since WAL last reached the object store").register(registry);
        this.bucketBytes = MultiGauge.builder("oxbow.branch.bucket.wal.bytes").description("Bytes of the branch's WAL in the object store").register(registry);
        this.walBacklog = MultiGauge.builder("oxbow.branch.wal.backlog.files").description("Archived WAL segments waiting for the object store").register(registry);
        this.registry = registry;
        this.endpointState = MultiGauge.builder("oxbow.endpoint.state").description("1 for the state the endpoint is in").register(registry);
        this.endpointCu = MultiGauge.builder("oxbow.endpoint.cu").description("Current compute size in CU (0 when not running)").register(registry);
        this.endpointConnections = MultiGauge.builder("oxbow.endpoint.connections").description("Client connections through the proxy").register(registry);
        this.syncVersionsBehind = MultiGauge.builder("oxbow.synced.table.versions.behind")
                .description("Delta commits not yet in Postgres, per synced table").register(registry);
        this.syncSecondsSince = MultiGauge.builder("oxbow.synced.table.seconds.since.sync")
                .description("Seconds since the synced table last finished a sync").register(registry);
        this.suspends = Counter.builder("oxbow.compute.suspends").description("Computes suspended for inactivity").register(registry);
        this.resumes = Counter.builder("oxbow.compute.resumes").description("Suspended computes woken by a connection").register(registry);
        this.coldStart = Timer.builder("oxbow.compute.cold.start").description("Wake-up of a suspended compute until it accepts connections")
                .publishPercentileHistogram().register(registry);
    }

    /** The object store's figures; {@code up} is false while it is unreachable. */
    public void refreshShipping(boolean up, List<BranchShipping> branches) {
        if (objectStoreUp.getAndSet(up ? 1 : 0) < 0) { // the first figures: only servers with an object store have the gauge
            io.micrometer.core.instrument.Gauge.builder("oxbow.object.store.up", objectStoreUp, java.util.concurrent.atomic.AtomicInteger::get)
                    .description("1 while the object store is reachable, 0 while WAL waits locally").register(registry);
        }
        List<MultiGauge.Row<?>> lsn = new ArrayList<>();
        List<MultiGauge.Row<?>> age = new ArrayList<>();
        List<MultiGauge.Row<?>> bytes = new ArrayList<>();
        List<MultiGauge.Row<?>> backlog = new ArrayList<>();
        for (BranchShipping b : branches) {
            Tags tags = Tags.of("project", b.projectId(), "branch", b.branchId());
            lsn.add(MultiGauge.Row.of(tags, b.shippedLsn()));
            if (b.secondsSinceShipped() != null) {
                age.add(MultiGauge.Row.of(tags, b.secondsSinceShipped()));
            }
            bytes.add(MultiGauge.Row.of(tags, b.bucketBytes()));
            backlog.add(MultiGauge.Row.of(tags, b.backlogFiles()));
        }
        walShippedLsn.register(lsn, true);
        walShippedAge.register(age, true);
        bucketBytes.register(bytes, true);
        walBacklog.register(backlog, true);
    }

    public MeterRegistry registry() {
        return registry;
    }

    public void suspended() {
        suspends.increment();
    }

    public void resumed(Duration took) {
        resumes.increment();
        coldStart.record(took);
    }

    /**
     * A connection at a past point was handed a time-travel compute: one {@code started} for it, or one {@code reused}
     * from the cache (the figure that shows the cache at work).
     */
    public void timeTravelConnection(boolean started) {
        Counter.builder("oxbow.time.travel.connections").description("Connections at a past point, by whether their compute was started for them")
                .tags("compute", started ? "started" : "reused").register(registry).increment();
    }

    /** A time-travel compute was removed (idle, its branch gone, or shut down). */
    public void timeTravelRemoved() {
        Counter.builder("oxbow.time.travel.computes.removed").description("Ephemeral time-travel computes removed").register(registry).increment();
    }

    public void operation(String kind, boolean ok, Duration took) {
        Timer.builder("oxbow.operation.duration").description("Long-running operations from start to done")
                .tags("kind", kind, "outcome", ok ? "done" : "failed").register(registry).record(took);
    }

    /** Adds compute time: {@code cu} CU for {@code seconds}, to the project's CU-hours. */
    public void computeTime(String projectId, double cu, double seconds) {
        cuSeconds.computeIfAbsent(projectId, id -> {
            DoubleAdder adder = new DoubleAdder();
            FunctionCounter.builder("oxbow.project.cu.hours", adder, a -> a.sum() / 3600).tags("project", id)
                    .description("CU-hours consumed by the project's computes").register(registry);
            return adder;
        }).add(cu * seconds);
    }

    /**
     * Re-reads per-endpoint figures; called before each scrape. {@code cu} is the endpoint's size now (0 when its
     * server is not running), {@code connections} its client connections by endpoint uid.
     */
    public void refresh(MetadataStore store, ToDoubleFunction<Endpoint> cu, ToIntFunction<String> connections) {
        List<MultiGauge.Row<?>> states = new ArrayList<>();
        List<MultiGauge.Row<?>> sizes = new ArrayList<>();
        List<MultiGauge.Row<?>> connectionRows = new ArrayList<>();
        for (Endpoint e : store.endpoints().all()) {
            Tags tags = Tags.of("endpoint", e.name(), "project", e.projectId(), "type", e.readWrite() ? "read_write" : "read_only");
            for (EndpointState state : EndpointState.values()) {
                states.add(MultiGauge.Row.of(tags.and("state", state.name()), state == e.state() ? 1 : 0));
            }
            sizes.add(MultiGauge.Row.of(tags, cu.applyAsDouble(e)));
            connectionRows.add(MultiGauge.Row.of(tags, connections.applyAsInt(e.uid())));
        }
        endpointState.register(states, true);
        endpointCu.register(sizes, true);
        endpointConnections.register(connectionRows, true);
    }

    /**
     * Sync lag per synced table: Delta versions behind (the newest version a sync or poll saw, minus the synced one;
     * a scrape reads no Delta log) and seconds since the last sync.
     * {@code latestSeenVersion} is that newest version per table, empty before the first sync or poll.
     */
    public void refreshSync(MetadataStore store, Function<dev.oxbow.metadata.SyncedTable, Optional<Long>> latestSeenVersion,
                            java.time.Instant now) {
        List<MultiGauge.Row<?>> behind = new ArrayList<>();
        List<MultiGauge.Row<?>> since = new ArrayList<>();
        for (dev.oxbow.metadata.SyncedTable t : store.syncedTables().all()) {
            Tags tags = Tags.of("synced_table", t.syncedTableId(), "project", t.projectId(), "policy", t.schedulingPolicy().name());
            long synced = t.lastProcessedCommitVersion() == null ? -1 : t.lastProcessedCommitVersion();
            latestSeenVersion.apply(t).ifPresent(latest -> behind.add(MultiGauge.Row.of(tags, Math.max(0, latest - synced))));
            if (t.lastSyncEnd() != null) {
                since.add(MultiGauge.Row.of(tags, Duration.between(t.lastSyncEnd(), now).toMillis() / 1000.0));
            }
        }
        syncVersionsBehind.register(behind, true);
        syncSecondsSince.register(since, true);
    }

    /** Change-feed figures, one row per config; called before each scrape. */
    public void refreshCdf(List<FeedFigures> feeds) {
        List<MultiGauge.Row<?>> lag = new ArrayList<>();
        List<MultiGauge.Row<?>> retained = new ArrayList<>();
        List<MultiGauge.Row<?>> age = new ArrayList<>();
        for (FeedFigures f : feeds) {
            Tags tags = Tags.of("cdf_config", f.cdfConfig(), "project", f.projectId());
            if (f.lagBytes() != null) lag.add(MultiGauge.Row.of(tags, f.lagBytes()));
            if (f.retainedWalBytes() != null) retained.add(MultiGauge.Row.of(tags, f.retainedWalBytes()));
            if (f.secondsSinceCommit() != null) age.add(MultiGauge.Row.of(tags, f.secondsSinceCommit()));
            cdfApplied.computeIfAbsent(f.cdfConfig(), n -> {
                java.util.concurrent.atomic.AtomicLong applied = new java.util.concurrent.atomic.AtomicLong();
                FunctionCounter.builder("oxbow.cdf.rows.applied", applied, java.util.concurrent.atomic.AtomicLong::get).tags(tags)
                        .description("Changes (rows inserted, updated, deleted) the change feed applied to Delta since the server started").register(registry);
                return applied;
            }).set(f.appliedChanges());
        }
        cdfLag.register(lag, true);
        cdfRetained.register(retained, true);
        cdfCommitAge.register(age, true);
    }

    /** Tags that name a tenant's resources: meters carrying them are shown to admins only. */
    public static final java.util.Set<String> TENANT_TAGS = java.util.Set.of("project", "endpoint", "synced_table", "branch", "cdf_config");
}
