package dev.oxbow.controlplane;

import dev.oxbow.metadata.OperationKind;
import dev.oxbow.metadata.BranchState;
import dev.oxbow.metadata.EndpointState;
import dev.oxbow.controlplane.branch.BranchLifecycle;
import dev.oxbow.controlplane.branch.BranchOperations;
import dev.oxbow.controlplane.branch.BranchReplacement;
import dev.oxbow.controlplane.branch.BranchService;
import dev.oxbow.controlplane.compute.Autoscaler;
import dev.oxbow.controlplane.dataapi.DataApiGateway;
import dev.oxbow.controlplane.dataapi.DataApiOperations;
import dev.oxbow.controlplane.dataapi.DataApiService;
import dev.oxbow.controlplane.compute.ComputeActivity;
import dev.oxbow.controlplane.compute.Computes;
import dev.oxbow.controlplane.compute.EndpointHistory;
import dev.oxbow.controlplane.compute.Provisioner;
import dev.oxbow.controlplane.endpoint.EndpointOperations;
import dev.oxbow.controlplane.endpoint.EndpointRules;
import dev.oxbow.controlplane.endpoint.EndpointService;
import dev.oxbow.controlplane.history.BucketHistory;
import dev.oxbow.controlplane.history.FirstSnapshots;
import dev.oxbow.controlplane.history.HistoryMaintenance;
import dev.oxbow.controlplane.history.PastComputes;
import dev.oxbow.controlplane.history.PastServers;
import dev.oxbow.controlplane.project.ProjectUsage;
import dev.oxbow.controlplane.history.ProjectSnapshots;
import dev.oxbow.controlplane.history.ScheduledSnapshots;
import dev.oxbow.controlplane.history.SnapshotOperations;
import dev.oxbow.controlplane.history.SnapshotService;
import dev.oxbow.controlplane.history.Timelines;
import dev.oxbow.controlplane.identity.AccessControl;
import dev.oxbow.controlplane.identity.CredentialService;
import dev.oxbow.controlplane.background.BackgroundTasks;
import dev.oxbow.controlplane.identity.IdentityService;
import dev.oxbow.controlplane.identity.PermissionService;
import dev.oxbow.controlplane.identity.AuditTrail;
import dev.oxbow.controlplane.identity.SigningKeyRotation;
import dev.oxbow.controlplane.metrics.ControlPlaneMetrics;
import dev.oxbow.controlplane.operation.OperationExecutor;
import dev.oxbow.controlplane.operation.OperationHandler;
import dev.oxbow.controlplane.project.ProjectOperations;
import dev.oxbow.controlplane.project.ProjectService;
import dev.oxbow.controlplane.project.Reaper;
import dev.oxbow.controlplane.resource.ApiException;
import dev.oxbow.controlplane.resource.Layout;
import dev.oxbow.controlplane.resource.Resources;
import dev.oxbow.controlplane.resource.Uids;
import dev.oxbow.controlplane.sql.DatabaseService;
import dev.oxbow.controlplane.catalog.CatalogOperations;
import dev.oxbow.controlplane.catalog.CatalogService;
import dev.oxbow.controlplane.sql.RoleService;
import dev.oxbow.controlplane.sql.SqlConsole;
import dev.oxbow.controlplane.diff.BranchDiffService;
import dev.oxbow.controlplane.sql.SqlOperations;
import dev.oxbow.controlplane.sync.SourceCatalogs;
import dev.oxbow.controlplane.sync.SyncRunner;
import dev.oxbow.controlplane.sync.SyncedTableOperations;
import dev.oxbow.controlplane.sync.SyncedTableService;
import dev.oxbow.auth.TokenService;
import dev.oxbow.compute.ComputeException;
import dev.oxbow.compute.ComputeListener;
import dev.oxbow.compute.ComputeRuntime;
import dev.oxbow.metadata.Branch;
import dev.oxbow.metadata.Endpoint;
import dev.oxbow.metadata.MetadataStore;
import dev.oxbow.metadata.Operation;
import dev.oxbow.metadata.Project;
import dev.oxbow.storage.BranchCloner;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.time.Clock;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Wires the control plane together: metadata, operations, services and computes. {@link #start} brings
 * back what a previous process left: orphaned servers are stopped, unfinished operations resumed,
 * and endpoints recorded ACTIVE started again.
 */
public final class ControlPlane implements AutoCloseable {
    /** Enough that a long pass (a snapshot, up to two continuous syncs) leaves a thread for the suspender. */
    private static final int BACKGROUND_THREADS = 4;
    private static final Logger log = LoggerFactory.getLogger(ControlPlane.class);

    /** The console's CU graph: one sample every 5 s for the last hour. */
    private static final java.time.Duration HISTORY_INTERVAL = java.time.Duration.ofSeconds(5);
    private static final int HISTORY_SAMPLES = 720;

    private final ControlPlaneConfig config;
    private final MetadataStore store;
    private final ComputeRuntime runtime;
    private final ControlPlaneMetrics metrics;
    private final Computes computes;
    private final BranchLifecycle lifecycle;
    private final OperationExecutor executor;
    private final IdentityService identity;
    /** Every periodic task of the control plane (suspender, autoscaler, reaper, ...): one scheduler, stopped first at close. */
    private final BackgroundTasks background = new BackgroundTasks(BACKGROUND_THREADS);
    private final PermissionService permissions;
    private final AuditTrail audit;
    private final ProjectService projects;
    private final BranchService branches;
    private final dev.oxbow.controlplane.masking.MaskingRules maskingRules;
    private final EndpointService endpoints;
    private final RoleService roles;
    private final DatabaseService databases;
    private final Reaper reaper;
    private final TokenService tokens;
    private final CredentialService credentials;
    private final ComputeActivity activity;
    private final SigningKeyRotation keyRotation;
    private final AccessControl access;
    private final Autoscaler autoscaler;
    private final HistoryMaintenance branchHistory;
    private final FirstSnapshots firstSnapshots;
    private final SnapshotService snapshots;
    private final ProjectUsage projectUsage;
    private final ScheduledSnapshots scheduledSnapshots;
    private final EndpointHistory history;
    private final SqlConsole sqlConsole;
    private final BranchDiffService branchDiffs;
    private final SyncRunner syncRunner;
    private final SyncedTableService syncedTables;
    private final DataApiService dataApis;
    private final DataApiGateway dataApiGateway;
    private final java.util.Optional<BucketHistory> bucket;
    private final Timelines timelines;
    private final CatalogService postgresCatalogs;
    private final dev.oxbow.controlplane.cdf.CdfRunner cdfRunner;
    private final dev.oxbow.controlplane.cdf.CdfService cdfConfigs;
    private final PastComputes pastComputes;

    public ControlPlane(ControlPlaneConfig config, ComputeRuntime runtime, BranchCloner cloner,
                        dev.oxbow.compute.ProcessIdentities identities, Clock clock) throws IOException {
        this(config, runtime, cloner, identities, clock, new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
    }

    /** {@code identities} decides which OS user each project's computes run as and who owns their files. */
    public ControlPlane(ControlPlaneConfig config, ComputeRuntime runtime, BranchCloner cloner,
                        dev.oxbow.compute.ProcessIdentities identities, Clock clock,
                        io.micrometer.core.instrument.MeterRegistry registry) throws IOException {
        this.config = config;
        this.runtime = runtime;
        this.metrics = new ControlPlaneMetrics(registry);
        Layout layout = config.layout();
        identities.sharedDir(layout.home());
        // every project's and every compute's own directory sits in these: the computes pass, nobody lists
        identities.sharedDir(layout.projectsRoot());
        identities.sharedDir(layout.runRoot());
        dev.oxbow.storage.object.ObjectStore objectStore = null;
        if (config.bucket().enabled()) {
            // a --restore has filled the home before this (OxbowServer, before the home's id is read)
            objectStore = dev.oxbow.storage.object.ObjectStores.open(config.bucket().location(), config.bucket().env());
        }
        this.store = MetadataStore.open(layout.metadataFile());
        this.computes = new Computes(runtime, layout, store, clock, config.sizing(), identities, config.history().archiveTimeout());
        Provisioner provisioner = new Provisioner(store, computes, cloner, layout, clock);
        if (objectStore != null) {
            computes.enableSynchronousWalReceiver();
        }
        this.bucket = objectStore == null ? java.util.Optional.empty()
                : java.util.Optional.of(new BucketHistory(store, computes, cloner, layout, objectStore, config.bucket(), clock));
        this.timelines = new Timelines(store, computes, cloner, layout, clock, bucket);
        this.pastComputes = new PastComputes(new PastServers(timelines, computes, cloner, layout), store, clock, metrics);
        ProjectSnapshots projectSnapshots = new ProjectSnapshots(computes, cloner, timelines, layout, clock, bucket);
        this.lifecycle = new BranchLifecycle(store, computes, provisioner, clock, timelines);
        // history maintenance is made further down (it needs the operations); nothing is queued before that
        this.firstSnapshots = new FirstSnapshots(this::afterClone);
        Map<OperationKind, OperationHandler> handlers = new HashMap<>();
        handlers.putAll(new ProjectOperations(store, provisioner, lifecycle, p -> bucket.ifPresent(b -> b.purgeQuietly(p)), firstSnapshots).handlers());
        handlers.putAll(new BranchOperations(store, provisioner, lifecycle, clock, timelines, layout, projectSnapshots,
                new dev.oxbow.controlplane.masking.BranchMasker(computes, layout, clock), cloner, computes, firstSnapshots).handlers());
        handlers.putAll(new EndpointOperations(store, computes, provisioner).handlers());
        handlers.putAll(new SqlOperations(store, computes, provisioner).handlers());
        handlers.putAll(new DataApiOperations(store, computes, clock).handlers());
        // synced tables wake computes through the same path as client connections
        this.activity = new ComputeActivity(store, computes, layout, clock, metrics);
        this.access = new AccessControl(store);
        SourceCatalogs catalogs = new SourceCatalogs(config.sync(), access);
        this.syncRunner = new SyncRunner(store, computes, activity, config.sync(), catalogs, clock);
        handlers.putAll(new SyncedTableOperations(store, syncRunner).handlers());
        handlers.putAll(new CatalogOperations(store).handlers());
        this.cdfRunner = new dev.oxbow.controlplane.cdf.CdfRunner(store, computes, activity, layout, config.sync().cdf(), clock);
        handlers.putAll(new dev.oxbow.controlplane.cdf.CdfOperations(store, computes, cdfRunner).handlers());
        Uids uids = new Uids();
        EndpointRules rules = new EndpointRules(config.limits(), uids, config.sizing());
        handlers.putAll(new BranchReplacement(store, provisioner, lifecycle, timelines, cloner, rules, layout, clock, projectSnapshots, firstSnapshots).handlers());
        handlers.putAll(new SnapshotOperations(store, projectSnapshots, clock).handlers());
        this.executor = new OperationExecutor(store, handlers, clock, metrics);
        Resources resources = new Resources(store);
        this.identity = new IdentityService(store, clock);
        this.permissions = new PermissionService(store);
        this.audit = new AuditTrail(store);
        this.projects = new ProjectService(store, executor, resources, rules, config.limits(), uids, clock, config.softDeleteRetention());
        this.maskingRules = new dev.oxbow.controlplane.masking.MaskingRules(store, resources, clock);
        this.branches = new BranchService(store, executor, resources, rules, config.limits(), uids, clock, config.softDeleteRetention(), timelines,
                maskingRules);
        this.endpoints = new EndpointService(store, executor, resources, rules, config.limits(), clock);
        this.roles = new RoleService(store, executor, resources, config.limits(), clock);
        this.databases = new DatabaseService(store, executor, resources, config.limits(), clock);
        this.postgresCatalogs = new CatalogService(store, executor, resources, databases, config.sync().catalogs().keySet(), clock);
        this.syncedTables = new SyncedTableService(store, executor, resources, catalogs, postgresCatalogs, access, syncRunner, clock,
                databases);
        this.cdfConfigs = new dev.oxbow.controlplane.cdf.CdfService(store, executor, resources, access, computes, config.sync().catalogs(), clock);
        this.projectUsage = new ProjectUsage(store, layout, clock);
        this.snapshots = new SnapshotService(store, executor, resources, uids, clock);
        this.scheduledSnapshots = new ScheduledSnapshots(snapshots, clock);
        this.reaper = new Reaper(store, projects, branches, resources, clock);
        this.tokens = new TokenService(layout.home().resolve("keys"), clock);
        this.credentials = new CredentialService(tokens, resources, clock, store);
        this.keyRotation = new SigningKeyRotation(tokens);
        this.dataApis = new DataApiService(store, executor, resources, clock);
        this.dataApiGateway = new DataApiGateway(store, dataApis, identity, tokens, access, activity, clock);
        this.autoscaler = new Autoscaler(store, computes, clock, metrics);
        this.branchHistory = new HistoryMaintenance(store, computes, timelines, provisioner, executor, config.history(), clock, firstSnapshots);
        this.history = new EndpointHistory(store, computes, activity, clock, HISTORY_SAMPLES);
        this.sqlConsole = new SqlConsole(store, activity, access, layout);
        this.branchDiffs = new BranchDiffService(store, activity, access);
        runtime.setListener(new ComputeListener() {
            @Override
            public void degraded(String endpointUid, String reason) {
                markDegraded(endpointUid, reason, clock);
            }
        });
    }

    /** Bootstraps the admin on first start and brings back what was running. */
    public void start() throws IOException {
        identity.bootstrap(config.adminUserName(), config.layout().adminTokenFile());
        Set<String> pendingResources = new HashSet<>();
        for (Operation op : store.operations().pending()) {
            pendingResources.add(op.resourceName());
        }
        for (Project project : store.projects().all()) {
            for (Branch branch : store.branches().list(project.name())) {
                for (Endpoint endpoint : store.endpoints().list(branch.name())) {
                    try {
                        runtime.stopOrphan(config.layout().dataDir(project, branch, endpoint));
                    } catch (ComputeException e) {
                        log.warn("cannot stop orphaned server endpoint={} cause={}", endpoint.name(), e.getMessage());
                    }
                }
            }
        }
        // time-travel computes never outlive their process: what a killed one left is removed before anything serves
        pastComputes.start(background, config.suspendCheckInterval());
        for (Project project : store.projects().all()) {
            if (project.deleted() || pendingResources.contains(project.name())) {
                continue;
            }
            for (Branch branch : store.branches().list(project.name())) {
                if (branch.deleted() || branch.state() != BranchState.READY || pendingResources.contains(branch.name())) {
                    continue;
                }
                try {
                    if (bucket.isPresent() && !Files.isDirectory(config.layout().dataDir(project, branch))) {
                        rebuild(project, branch);
                    }
                    lifecycle.resume(project, branch);
                } catch (ComputeException e) {
                    log.error("cannot restart computes branch={} cause={}", branch.name(), e.getMessage());
                    for (Endpoint ep : store.endpoints().list(branch.name())) {
                        if (Computes.shouldRun(ep) && !computes.running(ep)) {
                            store.endpoints().put(ep.withState(EndpointState.DEGRADED, java.time.Instant.now()));
                        }
                    }
                }
            }
        }
        executor.resumePending();
        bucket.ifPresent(BucketHistory::start);
        reaper.start(background, java.time.Duration.ofSeconds(30));
        activity.start(background, config.suspendCheckInterval());
        keyRotation.start(background, java.time.Duration.ofHours(24));
        autoscaler.start(background);
        branchHistory.start(background);
        scheduledSnapshots.start(background, config.history().checkInterval());
        history.start(background, HISTORY_INTERVAL);
        syncRunner.start(background);
        cdfRunner.start(background);
    }

    /** A branch whose data directory is gone (a lost disk, a restore into a new home) comes back from the bucket. */
    private void rebuild(Project project, Branch branch) throws ComputeException {
        log.warn("branch data directory missing, rebuilding it from the object store branch={} location={}", branch.name(), bucket.get().location());
        try {
            timelines.rebuildFromBucket(project, branch);
        } catch (ComputeException e) {
            throw e;
        } catch (Exception e) {
            throw new ComputeException("cannot rebuild branch " + branch.name() + " from the object store: " + e.getMessage(), e);
        }
    }

    /** The object store history is kept in, if any. */
    public java.util.Optional<BucketHistory> bucket() { return bucket; }
    public dev.oxbow.controlplane.history.Timelines timelines() { return timelines; }

    private void markDegraded(String endpointUid, String reason, Clock clock) {
        store.endpoints().getByUid(endpointUid).ifPresent(e -> {
            log.error("endpoint degraded endpoint={} reason={}", e.name(), reason);
            store.endpoints().put(e.withState(EndpointState.DEGRADED, clock.instant()));
        });
    }

    public ControlPlaneConfig config() { return config; }
    public MetadataStore store() { return store; }

    /** A clone's first snapshot and size, once its create is done ({@link FirstSnapshots}' work). */
    private void afterClone(String branchName) throws Exception {
        branchHistory.afterClone(branchName);
    }

    public IdentityService identity() { return identity; }
    public PermissionService permissions() { return permissions; }
    public AuditTrail audit() { return audit; }
    public ProjectService projects() { return projects; }
    public BranchService branches() { return branches; }
    public dev.oxbow.controlplane.masking.MaskingRules maskingRules() { return maskingRules; }
    public SnapshotService snapshots() { return snapshots; }
    public ProjectUsage projectUsage() { return projectUsage; }
    public EndpointService endpoints() { return endpoints; }
    public RoleService roles() { return roles; }
    public DatabaseService databases() { return databases; }
    public Computes computes() { return computes; }
    public Reaper reaper() { return reaper; }
    public TokenService tokens() { return tokens; }
    public CredentialService credentials() { return credentials; }
    public ComputeActivity activity() { return activity; }
    public AccessControl access() { return access; }
    public Autoscaler autoscaler() { return autoscaler; }
    public ControlPlaneMetrics metrics() { return metrics; }
    public EndpointHistory history() { return history; }
    public SqlConsole sqlConsole() { return sqlConsole; }
    public BranchDiffService branchDiffs() { return branchDiffs; }
    public SyncedTableService syncedTables() { return syncedTables; }
    public DataApiService dataApis() { return dataApis; }
    public DataApiGateway dataApiGateway() { return dataApiGateway; }
    public BackgroundTasks background() { return background; }
    public CatalogService catalogs() { return postgresCatalogs; }
    public dev.oxbow.controlplane.cdf.CdfService cdfConfigs() { return cdfConfigs; }
    public dev.oxbow.controlplane.cdf.CdfRunner cdfRunner() { return cdfRunner; }
    /** Time travel: the ephemeral read-only computes at past points of branches. */
    public PastComputes pastComputes() { return pastComputes; }
    public FirstSnapshots firstSnapshots() { return firstSnapshots; }

    /** Per-endpoint figures as of now, for a metrics scrape. */
    public void refreshMetrics() {
        metrics.refresh(store, e -> computes.running(e) ? computes.currentCu(e) : 0, activity::connections);
        metrics.refreshSync(store, syncRunner::latestSeenVersion, java.time.Instant.now());
        metrics.refreshCdf(cdfRunner.figures(java.time.Instant.now()));
        bucket.ifPresent(b -> metrics.refreshShipping(b.health().reachable(), b.shippingFigures()));
    }

    public Operation operation(String name) {
        return store.operations().get(name).orElseThrow(() -> ApiException.notFound("operation", name));
    }

    /** Stops background tasks, operations (they resume at next start) and every compute, cleanly. Records stay as they were. */
    @Override
    public void close() {
        bucket.ifPresent(BucketHistory::close); // its own threads: an upload in flight must not hold up the other tasks
        syncRunner.close();
        cdfRunner.close();
        background.close();
        pastComputes.close();
        activity.close();
        executor.close();
        firstSnapshots.close(); // after the operations: none queues another
        dataApiGateway.close();
        runtime.close();
        store.close();
    }
}
