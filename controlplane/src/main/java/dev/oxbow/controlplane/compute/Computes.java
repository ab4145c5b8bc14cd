package dev.oxbow.controlplane.compute;

import dev.oxbow.metadata.EndpointState;
import dev.oxbow.controlplane.resource.SettingRule;
import dev.oxbow.controlplane.resource.TenantSettings;
import dev.oxbow.controlplane.resource.Defaults;
import dev.oxbow.controlplane.resource.Layout;
import dev.oxbow.compute.ComputeException;
import dev.oxbow.compute.ComputeRuntime;
import dev.oxbow.compute.ComputeSpec;
import dev.oxbow.compute.PgConnections;
import dev.oxbow.metadata.Branch;
import dev.oxbow.metadata.Endpoint;
import dev.oxbow.metadata.MetadataStore;
import dev.oxbow.metadata.Project;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns endpoint records into running servers and back, and records what it did in the endpoint's state.
 * Work that needs a branch's read-write server up for a while (a clone, a snapshot, role SQL) holds a
 * {@link Lease} on it; the idle suspender and {@link #settle} leave a leased server running.
 */
public final class Computes {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(Computes.class);
    private final ComputeRuntime runtime;
    private final Layout layout;
    private final MetadataStore store;
    private final Clock clock;
    private final ComputeSizing sizing;
    private final dev.oxbow.compute.ProcessIdentities identities;
    private final java.time.Duration archiveTimeout;
    /** The size each running compute has now (the autoscaler moves it); a compute starts at its minimum. */
    private final java.util.Map<String, Double> currentCu = new java.util.concurrent.ConcurrentHashMap<>();
    /** Endpoints running without their CPU quota while Oxbow's own set-up work on them runs ({@link #withoutQuota}). */
    private final java.util.Set<String> unquoted = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** Per endpoint uid, what holds its server up now ("clone", "snapshot", ...), one entry per holder. */
    private final java.util.Map<String, java.util.List<String>> leases = new java.util.concurrent.ConcurrentHashMap<>();
    /** Per endpoint uid: taking or dropping a lease and stopping for idleness never interleave. */
    private final java.util.Map<String, Object> guards = new java.util.concurrent.ConcurrentHashMap<>();

    /** Makes sure a branch's primary has the role its replicas stream as (SQL on the primary; tests without servers skip it). */
    public interface ReplicationRoleSetup {
        void ensure(Project project, Branch branch) throws ComputeException;
    }

    private final ReplicationRoleSetup replicationRole;
    /** Set once an object store is configured: primaries of synchronous_wal projects then wait for Oxbow's WAL receiver. */
    private volatile boolean synchronousWalReceiver;

    public Computes(ComputeRuntime runtime, Layout layout, MetadataStore store, Clock clock, ComputeSizing sizing,
                    dev.oxbow.compute.ProcessIdentities identities, java.time.Duration archiveTimeout) {
        this(runtime, layout, store, clock, sizing, identities, archiveTimeout, null);
    }

    public Computes(ComputeRuntime runtime, Layout layout, MetadataStore store, Clock clock, ComputeSizing sizing,
                    dev.oxbow.compute.ProcessIdentities identities, java.time.Duration archiveTimeout, ReplicationRoleSetup replicationRole) {
        this.replicationRole = replicationRole != null ? replicationRole : this::ensureReplicationRole;
        this.identities = identities;
        this.archiveTimeout = archiveTimeout;
        this.runtime = runtime;
        this.layout = layout;
        this.store = store;
        this.clock = clock;
        this.sizing = sizing;
    }

    public ComputeSizing sizing() {
        return sizing;
    }

    /** Called when branch history ships to an object store: synchronous_wal projects' primaries name its WAL receiver. */
    public void enableSynchronousWalReceiver() {
        synchronousWalReceiver = true;
    }

    /** The compute's current size in CU: its minimum unless the autoscaler moved it. */
    public double currentCu(Endpoint endpoint) {
        double cu = currentCu.getOrDefault(endpoint.uid(), endpoint.minCu());
        return Math.max(endpoint.minCu(), Math.min(endpoint.maxCu(), cu));
    }

    /** Moves a running compute to {@code cu}: cgroup limits change live, size-dependent settings by reload. */
    public void resize(Project project, Branch branch, Endpoint endpoint, double cu) throws ComputeException {
        // limits first, so the size reported is never ahead of what is enforced; the settings follow by reload
        runtime.resize(endpoint.uid(), sizing.memoryBytes(cu), sizing.cpus(cu));
        currentCu.put(endpoint.uid(), cu);
        runtime.reload(spec(project, branch, endpoint));
    }

    public ComputeRuntime runtime() {
        return runtime;
    }

    /** The OS identity the project's computes run as; it owns the project's data, archives and snapshots. */
    public dev.oxbow.compute.ProcessIdentity owner(Project project) throws ComputeException {
        return identities.forTenant(project.uid());
    }

    /** Removes the project's OS identity; its computes must have stopped and its files be gone. */
    public void removeOwner(Project project) throws ComputeException {
        identities.remove(project.uid());
    }

    /**
     * Starts the endpoint's server (if not running) and marks it ACTIVE. Both happen under the endpoint's guard:
     * a {@link #settle} after maintenance (a lease closing) would otherwise read the record still IDLE while a
     * wake is starting the server, and stop it under the connection that woke it.
     */
    public Endpoint start(Project project, Branch branch, Endpoint endpoint) throws ComputeException {
        return start(project, branch, endpoint, dev.oxbow.compute.PhaseTimer.start());
    }

    /** {@link #start}, recording its steps in {@code phases} (the wake-up logs them). */
    public Endpoint start(Project project, Branch branch, Endpoint endpoint, dev.oxbow.compute.PhaseTimer phases) throws ComputeException {
        if (!endpoint.readWrite()) {
            // a replica streams from the branch's primary, which must run first and know the replication role
            ensureRunning(project, branch);
            replicationRole.ensure(project, branch);
            phases.end("primary");
        }
        synchronized (guard(endpoint.uid())) {
            if (runtime.find(endpoint.uid()).isEmpty()) {
                startServer(project, branch, endpoint, phases);
            }
            Endpoint active = endpoint.withState(EndpointState.ACTIVE, clock.instant());
            store.endpoints().put(active);
            phases.end("record");
            return active;
        }
    }

    /**
     * The idle suspender's stop: like {@link #suspend} unless a lease holds the server up, in which case
     * nothing changes and the result is empty (the next pass tries again).
     */
    public java.util.Optional<Endpoint> suspendUnlessLeased(Endpoint endpoint) throws ComputeException {
        synchronized (guard(endpoint.uid())) {
            if (!leases(endpoint).isEmpty()) {
                return java.util.Optional.empty();
            }
            return java.util.Optional.of(suspend(endpoint, PooledClients.KEEP));
        }
    }

    /**
     * Holds the branch's read-write server up for {@code purpose} (starting it if needed, without changing
     * its recorded state) until the lease is closed; closing it settles the server again.
     */
    public Lease leasePrimary(Project project, Branch branch, String purpose) throws ComputeException {
        Endpoint primary = readWriteEndpoint(branch);
        synchronized (guard(primary.uid())) {
            leases.computeIfAbsent(primary.uid(), k -> new java.util.concurrent.CopyOnWriteArrayList<>()).add(purpose);
        }
        Lease lease = new Lease(branch, primary, purpose);
        try {
            ensureRunning(project, branch);
        } catch (ComputeException | RuntimeException e) {
            lease.close();
            throw e;
        }
        return lease;
    }

    /**
     * A lease on the branch's read-write server only if it runs and its record says ACTIVE: work that must never
     * wake a compute (a change feed) takes this; empty otherwise. Checked under the guard the idle suspender
     * stops under, so the server cannot be stopped between the check and the lease.
     */
    public java.util.Optional<Lease> leaseIfActive(Project project, Branch branch, String purpose) throws ComputeException {
        Endpoint primary = readWriteEndpoint(branch);
        synchronized (guard(primary.uid())) {
            Endpoint current = store.endpoints().get(primary.name()).orElse(primary);
            if (current.disabled() || current.state() != EndpointState.ACTIVE || runtime.find(primary.uid()).isEmpty()) {
                return java.util.Optional.empty();
            }
            leases.computeIfAbsent(primary.uid(), k -> new java.util.concurrent.CopyOnWriteArrayList<>()).add(purpose);
        }
        return java.util.Optional.of(new Lease(branch, primary, purpose));
    }

    private static boolean hasReplicationSlots(java.nio.file.Path dataDir) {
        try (var slots = java.nio.file.Files.list(dataDir.resolve("pg_replslot"))) {
            return slots.anyMatch(p -> !p.getFileName().toString().startsWith("."));
        } catch (java.io.IOException e) {
            return false; // no data directory yet, or no slots directory
        }
    }

    /** What holds the endpoint's server up now, e.g. {@code [clone]}; empty when nothing does. */
    public java.util.List<String> leases(Endpoint endpoint) {
        return java.util.List.copyOf(leases.getOrDefault(endpoint.uid(), java.util.List.of()));
    }

    /** A hold on a branch's read-write server; see {@link #leasePrimary}. */
    public final class Lease implements AutoCloseable {
        private final Branch branch;
        private final Endpoint endpoint;
        private final String purpose;
        private boolean closed;

        private Lease(Branch branch, Endpoint endpoint, String purpose) {
            this.branch = branch;
            this.endpoint = endpoint;
            this.purpose = purpose;
        }

        /** The leased read-write endpoint (its server runs while the lease is open). */
        public Endpoint endpoint() {
            return endpoint;
        }

        /** Drops the hold and stops the server again unless its record says it runs or another lease holds it. */
        @Override
        public void close() throws ComputeException {
            if (closed) {
                return;
            }
            closed = true;
            synchronized (guard(endpoint.uid())) {
                java.util.List<String> held = leases.get(endpoint.uid());
                if (held != null) {
                    held.remove(purpose);
                    if (held.isEmpty()) {
                        leases.remove(endpoint.uid());
                    }
                }
            }
            settle(branch);
        }
    }

    private Object guard(String uid) {
        return guards.computeIfAbsent(uid, k -> new Object());
    }

    /**
     * Marks the endpoint IDLE and stops its server, unless a lease holds the server up (a clone, a snapshot):
     * then the work finishes on it and the last lease's close stops it. Every suspend goes through here (the
     * console's Suspend, disabling, a branch's computes that should not run).
     */
    public Endpoint suspend(Endpoint endpoint) throws ComputeException {
        return suspend(endpoint, PooledClients.DROP);
    }

    /** What a suspend does to the clients of the endpoint's pooled host. */
    public enum PooledClients {
        /** Scale to zero: the pooler keeps its clients; an idle one's next query wakes the compute through the proxy. */
        KEEP,
        /** The endpoint stops serving (disabled, its branch not ready): the pooler stops too. */
        DROP
    }

    /** {@link #suspend}, keeping or dropping the pooled host's clients. */
    public Endpoint suspend(Endpoint endpoint, PooledClients pooled) throws ComputeException {
        synchronized (guard(endpoint.uid())) {
            if (leases(endpoint).isEmpty()) {
                if (pooled == PooledClients.KEEP) {
                    runtime.suspend(endpoint.uid());
                } else {
                    runtime.stop(endpoint.uid());
                }
            }
            Endpoint idle = endpoint.withState(EndpointState.IDLE, clock.instant());
            store.endpoints().put(idle);
            return idle;
        }
    }

    /** Stops the server without touching metadata (deletes, shutdown). */
    public void stop(Endpoint endpoint) throws ComputeException {
        runtime.stop(endpoint.uid());
    }

    public void restart(Project project, Branch branch, Endpoint endpoint) throws ComputeException {
        runtime.stop(endpoint.uid());
        start(project, branch, endpoint);
    }

    public boolean running(Endpoint endpoint) {
        return runtime.find(endpoint.uid()).isPresent();
    }

    /**
     * A superuser connection to {@code database} on the branch's read-write compute. Starts the compute
     * if it is not running (disabled or idle computes serve maintenance too; callers stop it again via
     * {@link #settle}).
     */
    public Connection connect(Project project, Branch branch, String database) throws ComputeException, SQLException {
        return PgConnections.openForOxbow(layout.socketDir(ensureRunning(project, branch)), database, Defaults.SYSTEM_ROLE);
    }

    /**
     * The role a replica streams as: LOGIN REPLICATION, no superuser, so a replica's OS user (peer-mapped to
     * it alone) can read the WAL its own project already has and nothing more. Older clusters lack it.
     */
    private void ensureReplicationRole(Project project, Branch branch) throws ComputeException {
        try (Connection c = connect(project, branch, "postgres"); var st = c.createStatement()) {
            st.execute("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '" + PgConnections.REPLICATION_ROLE
                    + "') THEN CREATE ROLE " + PgConnections.REPLICATION_ROLE + " LOGIN REPLICATION NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT; END IF; END $$");
        } catch (SQLException e) {
            throw new ComputeException("cannot create the replication role on branch " + branch.name() + ": " + e.getMessage(), e);
        }
    }

    /** Makes sure the branch's read-write server runs (without changing its recorded state) and returns its endpoint. */
    public Endpoint ensureRunning(Project project, Branch branch) throws ComputeException {
        Endpoint primary = readWriteEndpoint(branch);
        if (runtime.find(primary.uid()).isEmpty()) {
            startServer(project, branch, primary, dev.oxbow.compute.PhaseTimer.start());
        }
        return primary;
    }

    /** After maintenance, stops the read-write compute again unless its record says it should run or a lease holds it. */
    public void settle(Branch branch) throws ComputeException {
        Endpoint primary = readWriteEndpoint(branch);
        synchronized (guard(primary.uid())) {
            Endpoint current = store.endpoints().get(primary.name()).orElse(primary);
            if (current.disabled() && leases(current).isEmpty()) {
                runtime.stop(current.uid());
            } else if (current.state() == EndpointState.IDLE && leases(current).isEmpty()) {
                runtime.suspend(current.uid()); // back to how the suspend left it: the pooler (if any) keeps its clients
            }
        }
    }

    /**
     * How far a running replica is behind its primary, in bytes of WAL not yet replayed (from the primary's
     * pg_stat_replication); empty when either is not running.
     */
    public java.util.Optional<Long> replicationLagBytes(Endpoint replica) {
        if (replica.readWrite() || !running(replica)) {
            return java.util.Optional.empty();
        }
        try {
            Branch branch = store.branches().get(replica.parentName()).orElseThrow();
            Endpoint primary = readWriteEndpoint(branch);
            if (!running(primary)) {
                return java.util.Optional.empty();
            }
            try (Connection c = PgConnections.openForOxbow(layout.socketDir(primary), "postgres", Defaults.SYSTEM_ROLE);
                 var ps = c.prepareStatement("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint FROM pg_stat_replication WHERE application_name = ?")) {
                ps.setString(1, replica.uid());
                try (var rs = ps.executeQuery()) {
                    return rs.next() ? java.util.Optional.of(rs.getLong(1)) : java.util.Optional.empty();
                }
            }
        } catch (SQLException | ComputeException | RuntimeException e) {
            return java.util.Optional.empty();
        }
    }

    /** Puts the CPU quota of the endpoint's current size back on its compute ({@link #withoutQuota} ended). */
    public interface Unquoted extends AutoCloseable {
        @Override
        void close() throws ComputeException;
    }

    /**
     * Until closed, the branch's read-write compute runs without its CPU quota (started so, or lifted now if it runs):
     * the set-up SQL of a create (roles, ownership, its size) is Oxbow's work, not the tenant's, and under a 0.5 CU
     * quota (0.125 cores) it took longer than the rest of a project create. Its memory limit stays.
     */
    public Unquoted withoutQuota(Branch branch) throws ComputeException {
        Endpoint primary = store.endpoints().list(branch.name()).stream().filter(Endpoint::readWrite).findFirst().orElse(null);
        if (primary == null) {
            return () -> { };
        }
        synchronized (guard(primary.uid())) {
            unquoted.add(primary.uid());
            if (runtime.find(primary.uid()).isPresent()) {
                runtime.resize(primary.uid(), sizing.memoryBytes(currentCu(primary)), dev.oxbow.compute.Cgroups.UNLIMITED_CPUS);
            }
        }
        return () -> {
            synchronized (guard(primary.uid())) {
                unquoted.remove(primary.uid());
                if (runtime.find(primary.uid()).isPresent()) {
                    runtime.resize(primary.uid(), sizing.memoryBytes(currentCu(primary)), sizing.cpus(currentCu(primary)));
                }
            }
        };
    }

    /** A compute (re)starts at its minimum size. */
    private void startServer(Project project, Branch branch, Endpoint endpoint, dev.oxbow.compute.PhaseTimer phases) throws ComputeException {
        currentCu.put(endpoint.uid(), endpoint.minCu());
        runtime.resize(endpoint.uid(), sizing.memoryBytes(endpoint.minCu()),
                unquoted.contains(endpoint.uid()) ? dev.oxbow.compute.Cgroups.UNLIMITED_CPUS : sizing.cpus(endpoint.minCu()));
        phases.end("cgroup_limits");
        if (endpoint.readWrite()) {
            ensureArchiveDir(project, layout.archiveDir(project, branch));
            phases.end("archive_dir");
        }
        ComputeSpec spec = spec(project, branch, endpoint);
        phases.end("spec");
        runtime.start(spec);
        phases.end("postgres"); // its own steps: the runtime's "compute started" line
    }

    /** The archive directory must exist and belong to postgres, or its archiver fails and WAL piles up. */
    public void ensureArchiveDir(Project project, java.nio.file.Path dir) throws ComputeException {
        try {
            owner(project).privateDir(dir);
        } catch (java.io.IOException e) {
            throw new ComputeException("cannot prepare the WAL archive " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Settings for a recovery server of this branch's read-write data: Oxbow's own only. No tenant
     * setting reaches a recovery server, so nothing a user wrote runs while a past point is replayed.
     */
    public Map<String, String> recoverySettings(Project project, Branch branch) throws ComputeException {
        Map<String, String> settings = settings(project, branch, readWriteEndpoint(branch), false);
        settings.remove("synchronous_standby_names"); // a recovery's own writes must not wait for a receiver that never comes
        return settings;
    }

    public Endpoint readWriteEndpoint(Branch branch) throws ComputeException {
        return store.endpoints().list(branch.name()).stream().filter(Endpoint::readWrite).findFirst()
                .orElseThrow(() -> new ComputeException("branch " + branch.name() + " has no read-write endpoint"));
    }

    ComputeSpec spec(Project project, Branch branch, Endpoint endpoint) {
        return new ComputeSpec(endpoint.uid(), project.uid(), project.pgVersion(), layout.dataDir(project, branch, endpoint),
                layout.socketDir(endpoint), settings(project, branch, endpoint, true));
    }

    private Map<String, String> settings(Project project, Branch branch, Endpoint endpoint, boolean withTenantSettings) {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("max_connections", Integer.toString(Defaults.maxConnections(endpoint.maxCu())));
        // The first start of a clone (branch, replica, restore) is a recovery, which first makes every file of the
        // copy durable: one fsync per file cost 2.7 s of a 3 s branch create here (1,266 files, one ext4 journal
        // commit each); syncfs flushes the file system once, and Linux >= 5.8 reports its write errors.
        settings.put("recovery_init_sync_method", "syncfs");
        settings.putAll(AUTOPREWARM);
        // settings that follow the current size (reloadable); shared_buffers stays as started
        long memory = sizing.memoryBytes(currentCu(endpoint));
        settings.put("effective_cache_size", (memory * 3 / 4 / 1024) + "kB");
        settings.put("work_mem", Math.max(4096, memory / 1024 / Defaults.maxConnections(endpoint.maxCu())) + "kB");
        settings.put("maintenance_work_mem", Math.max(65536, memory / 16 / 1024) + "kB");
        if (endpoint.readWrite()) {
            settings.putAll(dev.oxbow.storage.WalArchive.storageDefaults());
            if (!store.cdfConfigs().listUnder(branch.name() + "/").isEmpty() || hasReplicationSlots(layout.dataDir(project, branch, endpoint))) {
                // change feeds decode the WAL (logical replication); only branches with a feed pay for the extra WAL. A
                // branch cloned from one with a feed holds its slot, and Postgres refuses to start with a logical slot
                // below wal_level=logical: it starts so, and CdfRunner's sweep drops the orphan slot
                settings.put("wal_level", "logical");
            }
        }
        if (withTenantSettings) {
            settings.putAll(tenantSettings(project, endpoint));
        }
        if (endpoint.readWrite()) {
            // continuous archiving feeds point-in-time recovery; a spec cannot turn it off
            settings.putAll(dev.oxbow.storage.WalArchive.settings(archiveTimeout));
            if (synchronousWalReceiver && project.synchronousWal()) {
                // a commit returns once Oxbow's receiver has put its WAL into the object store (synchronous_commit = on)
                settings.put("synchronous_standby_names", dev.oxbow.storage.bucket.WalReceiver.APPLICATION_NAME);
            }
        }
        if (!endpoint.readWrite()) {
            Endpoint primary = store.endpoints().list(branch.name()).stream().filter(Endpoint::readWrite).findFirst().orElse(null);
            if (primary != null) {
                Map<String, String> primarySettings = settings(project, branch, primary, true);
                // a hot standby refuses to start with less of these than its primary
                for (String key : MUST_MATCH_PRIMARY) {
                    if (primarySettings.containsKey(key)) {
                        settings.put(key, primarySettings.get(key));
                    }
                }
                settings.put("primary_conninfo", "host=" + layout.socketDir(primary) + " port=5432 user=" + PgConnections.REPLICATION_ROLE
                        + " application_name=" + endpoint.uid());
            }
            settings.put("hot_standby", "on");
        }
        return settings;
    }

    /**
     * The project's defaults overlaid by the endpoint's own, passed through the allow-list again: the API
     * refuses other keys, but metadata written before the allow-list may still hold them.
     */
    private Map<String, String> tenantSettings(Project project, Endpoint endpoint) {
        Map<String, String> requested = new LinkedHashMap<>(project.defaults().pgSettings());
        requested.putAll(endpoint.pgSettings());
        List<String> dropped = new ArrayList<>();
        Map<String, String> allowed = TenantSettings.allowedOnly(requested, new SettingRule.Limits(sizing.memoryBytes(endpoint.maxCu())), dropped);
        if (!dropped.isEmpty()) {
            log.warn("settings ignored: not tunable by a project endpoint={} settings={}", endpoint.uid(), dropped);
        }
        return allowed;
    }

    /**
     * A suspend empties shared_buffers, so the first queries after a wake read every page again (hit ratio 0.68 in the
     * quick bench's first 1,000 lookups, the rest served by the OS cache at a syscall each). pg_prewarm's autoprewarm
     * lists the cached blocks at shutdown (and every 5 min) and a background worker reads them back right after the
     * start; it runs after the server is ready, so the wake does not wait for it.
     */
    static final Map<String, String> AUTOPREWARM = Map.of("shared_preload_libraries", "pg_prewarm", "pg_prewarm.autoprewarm", "on");

    private static final java.util.List<String> MUST_MATCH_PRIMARY = java.util.List.of("max_connections",
            "max_prepared_transactions", "max_locks_per_transaction", "max_wal_senders", "max_worker_processes");

    /** Whether the endpoint's record says its server runs: enabled and ACTIVE, INIT or DEGRADED (not IDLE). */
    public static boolean shouldRun(Endpoint e) {
        return !e.disabled() && (e.state() == EndpointState.ACTIVE || e.state() == EndpointState.INIT || e.state() == EndpointState.DEGRADED);
    }
}
