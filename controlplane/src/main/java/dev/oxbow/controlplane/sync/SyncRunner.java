package dev.oxbow.controlplane.sync;

import dev.oxbow.controlplane.background.BackgroundTasks;
import dev.oxbow.metadata.SchedulingPolicy;
import dev.oxbow.metadata.SyncedTableState;
import dev.oxbow.controlplane.compute.ComputeActivity;
import dev.oxbow.controlplane.compute.Computes;
import dev.oxbow.controlplane.resource.ApiException;
import dev.oxbow.controlplane.resource.Defaults;
import dev.oxbow.compute.PgConnections;
import dev.oxbow.metadata.Branch;
import dev.oxbow.metadata.Endpoint;
import dev.oxbow.metadata.MetadataStore;
import dev.oxbow.metadata.SyncedTable;
import dev.oxbow.sync.DeltaSource;
import dev.oxbow.sync.SyncException;
import dev.oxbow.sync.SyncOutcome;
import dev.oxbow.sync.SyncProgress;
import dev.oxbow.sync.SyncRole;
import dev.oxbow.sync.SyncSpec;
import dev.oxbow.sync.TableSync;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Runs syncs: one at a time per synced table, on the branch's read-write compute, which is woken through the
 * same path a client connection takes (and counted as a connection while the sync runs, so it is not
 * suspended under it). CONTINUOUS tables are polled for new Delta commits; between syncs they hold no
 * connection, so an idle compute may still suspend.
 *
 * <p>The sync itself runs in a session of the unprivileged {@link SyncRole}; a superuser session only prepares
 * the role, its state schema and the target's schema beforehand ({@link SyncRole#prepare}), running no tenant code.
 */
public final class SyncRunner implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SyncRunner.class);

    private final MetadataStore store;
    private final Computes computes;
    private final ComputeActivity activity;
    private final SyncConfig config;
    private final SourceCatalogs catalogs;
    private final Clock clock;
    private final Map<String, SyncProgress> progress = new ConcurrentHashMap<>();
    private final Map<String, Object> locks = new ConcurrentHashMap<>();
    private final Map<String, BackgroundTasks.Task> loops = new ConcurrentHashMap<>();
    private final Map<String, DeltaSource> sources = new ConcurrentHashMap<>();
    /** The newest source version a sync or poll saw, per synced table: what the lag metric reports (scrapes read no Delta log). */
    private final Map<String, Long> latestSeen = new ConcurrentHashMap<>();
    /** Continuous syncs at once at most, so follows never take every background thread. */
    private final Semaphore syncSlots = new Semaphore(2);
    private volatile BackgroundTasks tasks;
    /** When a CONTINUOUS table whose last attempt failed for a passing reason is tried again. */
    private final Map<String, Instant> nextRetry = new ConcurrentHashMap<>();
    private static final Duration RETRY_DELAY = Duration.ofSeconds(5);

    public SyncRunner(MetadataStore store, Computes computes, ComputeActivity activity, SyncConfig config, SourceCatalogs catalogs, Clock clock) {
        this.store = store;
        this.computes = computes;
        this.activity = activity;
        this.config = config;
        this.catalogs = catalogs;
        this.clock = clock;
    }

    /** Follows every CONTINUOUS table again after a restart; follows are tasks of {@code tasks}. */
    public void start(BackgroundTasks tasks) {
        this.tasks = tasks;
        for (SyncedTable t : store.syncedTables().all()) {
            if (t.schedulingPolicy() == SchedulingPolicy.CONTINUOUS && t.lastProcessedCommitVersion() != null && !needsPerson(t)) {
                follow(t.name());
            }
        }
    }

    public Optional<SyncProgress> progress(String name) {
        return Optional.ofNullable(progress.get(name));
    }

    DeltaSource source(SyncedTable t) throws SyncException {
        String key = t.name() + "\n" + t.sourceLocation();
        DeltaSource source = sources.get(key);
        if (source == null) {
            source = catalogs.open(t);
            sources.put(key, source);
        }
        return source;
    }

    /** Starts the message of a failure Oxbow retries by itself (compute or storage trouble); other failures need a person. */
    static final String RETRYING = "The last sync attempt failed and will be retried";

    /** Failed for a reason that needs a person (a CONTINUOUS table is not polled until Sync now). */
    static boolean needsPerson(SyncedTable t) {
        return t.state().failed() && (t.message() == null || !t.message().startsWith(RETRYING));
    }

    /**
     * The table as its status should read now: a TRIGGERED or SNAPSHOT table whose source has commits Postgres does not
     * hold is not "no pending update" but {@code SYNCED_TABLE_ONLINE}, with how far behind it is and what to do.
     */
    SyncedTable present(SyncedTable t) {
        if (t.state() != SyncedTableState.SYNCED_TABLE_ONLINE_NO_PENDING_UPDATE || t.lastProcessedCommitVersion() == null) {
            return t;
        }
        long synced = t.lastProcessedCommitVersion();
        long newest = SourceLog.newestAfter(t.sourceLocation(), synced);
        if (newest == synced) {
            return t;
        }
        latestSeen.merge(t.name(), newest, Math::max);
        long behind = newest - synced;
        boolean capped = behind >= SourceLog.MAX_COUNTED;
        String count = capped ? "at least " + behind + " commits" : behind == 1 ? "1 commit" : behind + " commits";
        String pending = "The source has " + count + " not synced yet (Delta version " + newest + (capped ? " or later" : "")
                + "; Postgres holds version " + synced + "). Run Sync now (POST /api/2.0/postgres/" + t.name() + ":sync) to apply "
                + (behind == 1 ? "it." : "them.");
        return t.withState(SyncedTableState.SYNCED_TABLE_ONLINE, t.message() == null ? pending : t.message() + " " + pending);
    }

    static SyncSpec spec(SyncedTable t) {
        return new SyncSpec(t.syncedTableId(), t.sourceLocation(), t.pgSchema(), t.pgTable(), t.primaryKeyColumns(), t.timeseriesKey(),
                t.schedulingPolicy().incremental());
    }

    /**
     * Syncs {@code name} now and records the outcome in its status. A {@link SyncException} (the sync cannot
     * go on without a person) puts the table in a failed state with the reason and is rethrown.
     */
    SyncedTable syncNow(String name) throws Exception {
        synchronized (lock(name)) {
            SyncedTable t = store.syncedTables().get(name).orElseThrow(() -> ApiException.notFound("synced table", name));
            boolean initial = t.lastProcessedCommitVersion() == null;
            SyncedTableState running = initial ? SyncedTableState.SYNCED_TABLE_PROVISIONING_INITIAL_SNAPSHOT
                    : t.schedulingPolicy() == SchedulingPolicy.CONTINUOUS ? SyncedTableState.SYNCED_TABLE_ONLINE_CONTINUOUS_UPDATE
                    : SyncedTableState.SYNCED_TABLE_ONLINE_TRIGGERED_UPDATE;
            store.syncedTables().put(t.withState(running, null));
            Instant start = clock.instant();
            SyncOutcome outcome;
            try {
                DeltaSource source = source(t);
                outcome = asSyncRole(t, true, c -> TableSync.run(spec(t), source, c, p -> progress.put(name, p)));
                latestSeen.put(name, outcome.version());
            } catch (SyncException e) {
                log.warn("sync failed synced_table={} reason={}", t.syncedTableId(), e.getMessage());
                store.syncedTables().put(t.withState(failedState(initial), e.getMessage() + serving(t)));
                stopFollowing(name);
                throw e;
            } catch (Exception e) {
                // compute or storage trouble: the table says so, keeps serving its last data, and a CONTINUOUS one is polled again
                log.warn("sync interrupted synced_table={} cause={}", t.syncedTableId(), e.toString());
                nextRetry.put(name, clock.instant().plus(RETRY_DELAY));
                String retry = t.schedulingPolicy() == SchedulingPolicy.CONTINUOUS ? " Oxbow tries again at the next poll." : " Run Sync now to try again.";
                store.syncedTables().put(t.withState(failedState(initial), RETRYING + ": " + cause(e) + "." + serving(t) + retry));
                throw e;
            } finally {
                progress.remove(name);
            }
            String note = outcome.nullKeyRows() > 0 ? outcome.nullKeyRows() + " source rows with a null primary key were skipped." : null;
            if (outcome.note() != null) {
                note = note == null ? outcome.note() : note + " " + outcome.note();
            }
            SyncedTable done = t.withSync(outcome.version(), Instant.ofEpochMilli(outcome.commitTimeMillis()), start, clock.instant())
                    .withState(onlineState(t), note);
            store.syncedTables().put(done);
            log.info("synced synced_table={} kind={} version={} rows={} ms={}", t.syncedTableId(), outcome.kind(), outcome.version(), outcome.rows(),
                    Duration.between(start, clock.instant()).toMillis());
            return done;
        }
    }

    private static SyncedTableState failedState(boolean initial) {
        return initial ? SyncedTableState.SYNCED_TABLE_OFFLINE_FAILED : SyncedTableState.SYNCED_TABLE_ONLINE_PIPELINE_FAILED;
    }

    /** Which data readers still see, for failure messages. */
    private static String serving(SyncedTable t) {
        return t.lastProcessedCommitVersion() == null ? " Nothing was loaded into Postgres."
                : " Postgres still serves Delta version " + t.lastProcessedCommitVersion() + ".";
    }

    /**
     * A failure's cause in words that show no library internals: Postgres' own message, the compute not starting;
     * anything else by its kind only (a Kernel or Hadoop message may quote file contents or internal objects).
     */
    static String cause(Throwable e) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof java.sql.SQLException sql) {
                String m = sql.getMessage() == null ? "" : sql.getMessage().lines().findFirst().orElse("");
                return "Postgres reported " + (sql.getSQLState() == null ? "" : "SQLSTATE " + sql.getSQLState() + ", ") + m;
            }
            if (c instanceof java.util.concurrent.TimeoutException) {
                return "the branch's compute did not start in time";
            }
            if (c instanceof IllegalStateException && c.getMessage() != null && c.getStackTrace().length > 0
                    && c.getStackTrace()[0].getClassName().startsWith("dev.oxbow.")) {
                return c.getMessage();
            }
        }
        return "unexpected " + e.getClass().getSimpleName();
    }

    private static SyncedTableState onlineState(SyncedTable t) {
        return t.schedulingPolicy() == SchedulingPolicy.CONTINUOUS ? SyncedTableState.SYNCED_TABLE_ONLINE_CONTINUOUS_UPDATE
                : SyncedTableState.SYNCED_TABLE_ONLINE_NO_PENDING_UPDATE;
    }

    interface ConnectionWork<T> {
        T run(Connection c) throws Exception;
    }

    /**
     * Runs {@code work} with a superuser connection to the table's database, waking the branch's compute if it is
     * suspended. Only for catalog queries and utility commands: nothing that could fire a tenant's trigger or rule.
     */
    <T> T withConnection(SyncedTable t, ConnectionWork<T> work) throws Exception {
        return onCompute(t, socketDir -> {
            try (Connection c = PgConnections.openForOxbow(socketDir, t.postgresDatabase(), Defaults.SYSTEM_ROLE)) {
                return work.run(c);
            }
        });
    }

    /**
     * Runs {@code work} in a session of the sync role, after a superuser session prepared the role and the state
     * schema, and the target too when {@code target} ({@link SyncRole#prepare}).
     */
    <T> T asSyncRole(SyncedTable t, boolean target, ConnectionWork<T> work) throws Exception {
        return onCompute(t, socketDir -> {
            try (Connection admin = PgConnections.openForOxbow(socketDir, t.postgresDatabase(), Defaults.SYSTEM_ROLE)) {
                if (target) {
                    SyncRole.prepare(admin, spec(t));
                } else {
                    SyncRole.prepareDatabase(admin);
                }
            }
            try (Connection c = PgConnections.openForOxbow(socketDir, t.postgresDatabase(), SyncRole.NAME)) {
                return work.run(c);
            }
        });
    }

    private interface SocketWork<T> {
        T run(Path socketDir) throws Exception;
    }

    private <T> T onCompute(SyncedTable t, SocketWork<T> work) throws Exception {
        Branch branch = store.branches().get(t.branch()).filter(b -> !b.deleted())
                .orElseThrow(() -> new IllegalStateException("branch " + t.branch() + " no longer exists"));
        Endpoint primary = computes.readWriteEndpoint(branch);
        Path socketDir = activity.acquire(primary.uid()).get(2, TimeUnit.MINUTES);
        try {
            return work.run(socketDir);
        } finally {
            activity.release(primary.uid());
        }
    }

    /** Starts polling a CONTINUOUS table for new commits. */
    void follow(String name) {
        if (tasks == null) {
            throw new IllegalStateException("the sync runner is not started");
        }
        loops.computeIfAbsent(name, n -> tasks.every("sync " + n, Duration.ZERO, config.pollInterval(), () -> poll(n)));
    }

    void stopFollowing(String name) {
        BackgroundTasks.Task loop = loops.remove(name);
        if (loop != null) {
            loop.cancel();
        }
    }

    private void poll(String name) {
        try {
            Optional<SyncedTable> t = store.syncedTables().get(name);
            if (t.isEmpty() || needsPerson(t.get())) {
                stopFollowing(name);
                return;
            }
            boolean due = t.get().state().failed() ? !clock.instant().isBefore(nextRetry.getOrDefault(name, Instant.MIN)) : hasNewCommit(t.get());
            if (!due || !syncSlots.tryAcquire()) {
                return; // nothing new (or a retry not yet due), or two syncs already run: the next poll looks again
            }
            try {
                syncNow(name);
            } finally {
                syncSlots.release();
            }
        } catch (Exception e) {
            log.debug("continuous sync pass failed synced_table={} cause={}", name, e.toString());
        }
    }

    /** Cheap check (does the next commit file exist?), see {@link SourceLog}. */
    private boolean hasNewCommit(SyncedTable t) {
        Long last = t.lastProcessedCommitVersion();
        if (last == null) {
            return true;
        }
        long newest = SourceLog.newestAfter(t.sourceLocation(), last);
        if (newest > last) {
            latestSeen.merge(t.name(), newest, Math::max);
        }
        return newest > last;
    }

    /** The newest source version seen by a sync or poll, for the lag metric; empty before the first. */
    public Optional<Long> latestSeenVersion(SyncedTable t) {
        return Optional.ofNullable(latestSeen.get(t.name()));
    }

    Object lock(String name) {
        return locks.computeIfAbsent(name, k -> new Object());
    }

    /** Stops following every table (the owner of the background tasks waits for a sync in progress). */
    @Override
    public void close() {
        loops.keySet().forEach(this::stopFollowing);
    }
}
