package dev.oxbow.controlplane.history;

import dev.oxbow.compute.LocalComputeRuntime;
import dev.oxbow.compute.PgConnections;
import dev.oxbow.controlplane.compute.Computes;
import dev.oxbow.controlplane.resource.Defaults;
import dev.oxbow.controlplane.resource.Layout;
import dev.oxbow.metadata.Branch;
import dev.oxbow.metadata.Endpoint;
import dev.oxbow.metadata.MetadataStore;
import dev.oxbow.metadata.Project;
import dev.oxbow.compute.Lsn;
import dev.oxbow.storage.PointInTimeRecovery.Target;
import dev.oxbow.storage.Snapshot;
import dev.oxbow.storage.SnapshotStore;
import dev.oxbow.storage.bucket.BucketLayout;
import dev.oxbow.storage.bucket.BucketRetention;
import dev.oxbow.storage.bucket.SnapshotTransfer;
import dev.oxbow.storage.bucket.WalFetcher;
import dev.oxbow.storage.bucket.WalReceiver;
import dev.oxbow.storage.bucket.WalSegment;
import dev.oxbow.storage.bucket.WalShipper;
import dev.oxbow.storage.object.ObjectInfo;
import dev.oxbow.storage.object.ObjectStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Branch history in the object store: ships every live branch's WAL (completed segments from the local archive
 * each {@link BucketPolicy#shipInterval}; the running primary's WAL continuously, streamed by a {@link WalReceiver}
 * per running primary and put at most every {@link BucketPolicy#walPutGap}), uploads new local
 * snapshots, and serves snapshots and WAL back for restores when the local copy is gone. While the store is
 * unreachable everything stays local (nothing is pruned that is not shipped), the status says so and the log
 * warns once; shipping resumes by itself. Uploads run on their own threads, never on an API request.
 */
public final class BucketHistory implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BucketHistory.class);
    static final long SEGMENT_SIZE = (long) LocalComputeRuntime.WAL_SEGMENT_MB << 20;
    /** Pieces no manifest names are removed only when this old: an upload in progress has not written its manifest yet. */
    private static final Duration ORPHAN_CHUNK_AGE = Duration.ofHours(1);

    /** Store-wide health, for the status and /metrics. */
    public record Health(String location, boolean reachable, Instant unreachableSince, String lastError) {}

    private final MetadataStore store;
    private final Computes computes;
    private final Layout layout;
    private final ObjectStore bucket;
    private final BucketPolicy policy;
    private final Clock clock;
    private final SnapshotTransfer transfer;
    private final BucketRetention retention;
    /** Snapshot uploads and garbage collection of pieces never overlap in this process. */
    private final Object uploadLock = new Object();
    private final SnapshotStore localSnapshots;
    private final WalFetcher fetcher;
    private final Map<String, WalShipper> shippers = new ConcurrentHashMap<>();
    /** Synchronous_wal branches' receivers, by branch uid. */
    private final Map<String, WalReceiver> receivers = new ConcurrentHashMap<>();
    private final Set<String> uploaded = ConcurrentHashMap.newKeySet();
    private final MetadataBackup metadata;
    private volatile Health health;
    /** Set by {@link #close}: no receiver starts after it. */
    private volatile boolean closing;
    private final ScheduledExecutorService shipTimer =
            Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("oxbow-wal-ship").daemon().factory());
    private final ScheduledExecutorService uploadTimer =
            Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("oxbow-bucket-upload").daemon().factory());

    public BucketHistory(MetadataStore store, Computes computes, dev.oxbow.storage.BranchCloner cloner, Layout layout, ObjectStore bucket,
                         BucketPolicy policy, Clock clock) {
        this.localSnapshots = new SnapshotStore(cloner, clock);
        this.store = store;
        this.computes = computes;
        this.layout = layout;
        this.bucket = bucket;
        this.policy = policy;
        this.clock = clock;
        this.transfer = new SnapshotTransfer(bucket);
        this.retention = new BucketRetention(bucket, transfer, ORPHAN_CHUNK_AGE, clock);
        this.fetcher = new WalFetcher(bucket);
        try {
            this.metadata = new MetadataBackup(bucket, layout, clock, BackupCipher.load(policy.env(), layout.home(), true));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot read or make the metadata backup key: " + e.getMessage(), e);
        }
        this.health = new Health(bucket.location(), true, null, null);
    }

    public void start() {
        long ship = policy.shipInterval().toMillis();
        shipTimer.scheduleWithFixedDelay(this::shipAll, ship, ship, TimeUnit.MILLISECONDS);
        long upload = policy.uploadInterval().toMillis();
        uploadTimer.scheduleWithFixedDelay(this::uploadAll, 0, upload, TimeUnit.MILLISECONDS);
        log.info("branch history ships to the object store location={} ship_interval_ms={} upload_interval_ms={}", bucket.location(), ship, upload);
    }

    public String location() {
        return bucket.location();
    }

    public Health health() {
        return health;
    }

    static BucketLayout layoutOf(Project project, Branch branch) {
        return new BucketLayout(project.uid(), branch.uid());
    }

    /**
     * A named project snapshot is kept like a branch of its own (its uid where a branch's stands) that holds one
     * snapshot and no WAL: its pieces are the project's shared ones, garbage collection counts its manifest,
     * purging the project removes it, and deleting the snapshot removes its objects.
     */
    static BucketLayout layoutOf(Project project, dev.oxbow.metadata.ProjectSnapshot snapshot) {
        return new BucketLayout(project.uid(), snapshot.uid());
    }

    private WalShipper shipper(Project project, Branch branch) {
        return shippers.computeIfAbsent(branch.uid(), u -> new WalShipper(bucket, layoutOf(project, branch), SEGMENT_SIZE, clock));
    }

    /** The branch's shipping status; empty before its first shipping pass. */
    public Optional<WalShipper.Status> status(Branch branch) {
        return Optional.ofNullable(shippers.get(branch.uid())).map(s -> withReceiver(branch, s.status()));
    }

    /** A receiver's position is the branch's shipped position when it is ahead of the shipper's. */
    private WalShipper.Status withReceiver(Branch branch, WalShipper.Status s) {
        WalReceiver r = receivers.get(branch.uid());
        if (r == null || r.status().flushedLsn() == null) {
            return s;
        }
        WalReceiver.Status rs = r.status();
        boolean ahead = s.lastShippedLsn() == null || Lsn.parse(rs.flushedLsn()) > Lsn.parse(s.lastShippedLsn());
        return new WalShipper.Status(ahead ? rs.flushedLsn() : s.lastShippedLsn(), ahead ? rs.flushedAt() : s.lastShippedAt(),
                s.backlogFiles(), s.bucketBytes() + rs.bytes(), s.lastError() != null ? s.lastError() : rs.lastError(),
                s.failingSince());
    }

    /** Whether the branch's commits wait for the object store now (its synchronous receiver streams). */
    public boolean receiving(Branch branch) {
        WalReceiver r = receivers.get(branch.uid());
        return r != null && r.running() && r.synchronous();
    }

    /** Every live branch's shipping figures, for /metrics. */
    public List<dev.oxbow.controlplane.metrics.ControlPlaneMetrics.BranchShipping> shippingFigures() {
        List<dev.oxbow.controlplane.metrics.ControlPlaneMetrics.BranchShipping> out = new ArrayList<>();
        Instant now = clock.instant();
        for (Branch b : store.branches().all()) {
            WalShipper s = shippers.get(b.uid());
            if (b.deleted() || s == null) {
                continue;
            }
            WalShipper.Status st = withReceiver(b, s.status());
            out.add(new dev.oxbow.controlplane.metrics.ControlPlaneMetrics.BranchShipping(b.projectId(), b.branchId(),
                    st.lastShippedLsn() == null ? 0 : Lsn.parse(st.lastShippedLsn()),
                    st.lastShippedAt() == null ? null : Duration.between(st.lastShippedAt(), now).toMillis() / 1000.0,
                    st.bucketBytes(), st.backlogFiles()));
        }
        return out;
    }

    /** One shipping pass over every live branch. */
    void shipAll() {
        try {
            for (Project project : store.projects().all()) {
                if (project.deleted()) {
                    continue;
                }
                for (Branch branch : store.branches().list(project.name())) {
                    if (!branch.deleted() && !maskingPending(branch)) {
                        ship(project, branch);
                    }
                }
            }
        } catch (RuntimeException e) {
            log.warn("wal shipping pass failed cause={}", e.toString());
        }
    }

    /** A branch being masked: its local history (a recovery's snapshot and WAL, unmasked) is about to be dropped, never shipped. */
    private static boolean maskingPending(Branch branch) {
        return branch.masked() && !branch.maskingDone();
    }

    /**
     * Ships one branch's WAL: archive first (older), then the running primary's tail, which a {@link WalReceiver}
     * streams continuously (started here when missing; synchronous for a synchronous_wal project). A branch whose
     * receiver streams costs the pass nothing but the archive listing; one whose receiver cannot start (no free
     * WAL sender) falls back to shipping the tail from {@code pg_wal} each pass.
     */
    public void ship(Project project, Branch branch) {
        WalShipper shipper = shipper(project, branch);
        try {
            shipper.shipArchive(layout.archiveDir(project, branch));
            WalReceiver streaming = receivers.get(branch.uid());
            if (streaming != null && streaming.running() && streaming.synchronous() == project.synchronousWal()) {
                String error = streaming.status().lastError();
                if (error != null) {
                    throw new IOException(error);
                }
                reachable();
                return;
            }
            Optional<Primary> at = flushPosition(branch);
            if (at.isPresent() && streaming != null && !streaming.synchronous() && !streaming.running() && streaming.status().lastError() != null) {
                // the bucket failed the last asynchronous receiver: ship by pass until it answers, then stream again
                shipper.shipTail(layout.dataDir(project, branch).resolve("pg_wal"), at.get().position().timeline(), at.get().position().lsn());
                stopReceiver(branch);
                reachable();
                return;
            }
            boolean received = at.isPresent() && !closing && ensureReceiver(project, branch, at.get());
            if (!received) {
                stopReceiver(branch);
            }
            if (at.isPresent() && !received) {
                shipper.shipTail(layout.dataDir(project, branch).resolve("pg_wal"), at.get().position().timeline(), at.get().position().lsn());
            }
            reachable();
        } catch (IOException e) {
            unreachable(e);
        }
    }

    /** A running primary and its WAL flush position. */
    private record Primary(Endpoint endpoint, WalShipper.FlushPosition position) {}

    /** The primary's flush position, if it runs (a server stopping or starting is simply skipped this round). */
    private Optional<Primary> flushPosition(Branch branch) {
        try {
            Endpoint primary = computes.readWriteEndpoint(branch);
            if (!computes.running(primary)) {
                return Optional.empty();
            }
            try (Connection c = PgConnections.openForOxbow(layout.socketDir(primary), "postgres", Defaults.SYSTEM_ROLE)) {
                return Optional.of(new Primary(primary, WalShipper.flushPosition(c)));
            }
        } catch (SQLException | dev.oxbow.compute.ComputeException e) {
            log.debug("no flush position branch={} cause={}", branch.name(), e.toString());
            return Optional.empty();
        }
    }

    /**
     * Keeps a WAL receiver streaming from the branch's primary; returns whether one runs. It starts at the
     * beginning of the segment being written (ranges may overlap what tail shipping sent; a restore reads the
     * union), so the bucket holds that segment contiguously from its start.
     */
    private boolean ensureReceiver(Project project, Branch branch, Primary primary) {
        WalReceiver current = receivers.get(branch.uid());
        if (current != null && current.running() && current.timeline().equals(primary.position().timeline())
                && current.synchronous() == project.synchronousWal()) {
            return true;
        }
        stopReceiver(branch);
        try {
            String timeline = primary.position().timeline();
            long from = WalSegment.containing(timeline, primary.position().lsn(), SEGMENT_SIZE).startLsn();
            Connection replication = PgConnections.openForReplication(layout.socketDir(primary.endpoint()), Defaults.SYSTEM_ROLE,
                    WalReceiver.APPLICATION_NAME);
            BucketLayout bl = layoutOf(project, branch);
            receivers.put(branch.uid(), project.synchronousWal()
                    ? WalReceiver.start(bucket, bl, SEGMENT_SIZE, clock, replication, timeline, from)
                    : WalReceiver.startAsynchronous(bucket, bl, SEGMENT_SIZE, clock, replication, timeline, from, policy.walPutGap(),
                            shipper(project, branch)::holdsWhole));
            return true;
        } catch (SQLException e) {
            log.warn("wal receiver not started branch={} cause={}", branch.name(), e.toString());
            return false;
        }
    }

    private void stopReceiver(Branch branch) {
        WalReceiver r = receivers.remove(branch.uid());
        if (r != null) {
            r.close();
        }
    }

    private void reachable() {
        Health h = health;
        if (!h.reachable()) {
            try {
                bucket.exists(BucketLayout.METADATA_LATEST); // a pass with nothing to send did not reach the store: ask it
            } catch (IOException e) {
                unreachable(e);
                return;
            }
            log.info("object store reachable again location={} unreachable_for_s={}; shipping the local backlog", bucket.location(),
                    Duration.between(h.unreachableSince(), clock.instant()).toSeconds());
            health = new Health(bucket.location(), true, null, null);
        }
    }

    private void unreachable(IOException e) {
        Health h = health;
        if (h.reachable()) {
            log.error("ALERT object store unreachable location={} cause={}; WAL and snapshots are kept locally and shipped when it returns",
                    bucket.location(), String.valueOf(e.getMessage() != null ? e.getMessage() : e));
            health = new Health(bucket.location(), false, clock.instant(), String.valueOf(e.getMessage() != null ? e.getMessage() : e));
        } else {
            health = new Health(bucket.location(), false, h.unreachableSince(), String.valueOf(e.getMessage() != null ? e.getMessage() : e));
        }
    }

    /** Uploads local snapshots the bucket lacks, then the metadata. */
    void uploadAll() {
        try {
            for (Project project : store.projects().all()) {
                if (project.deleted()) {
                    continue;
                }
                for (Branch branch : store.branches().list(project.name())) {
                    if (!branch.deleted() && !maskingPending(branch)) {
                        uploadSnapshots(project, branch);
                    }
                }
                for (dev.oxbow.metadata.ProjectSnapshot named : store.snapshots().list(project.name())) {
                    if (named.ready()) {
                        uploadNamed(project, named);
                    }
                }
            }
            metadata.backUp();
            reachable();
        } catch (IOException e) {
            unreachable(e);
        } catch (RuntimeException e) {
            log.warn("bucket upload pass failed cause={}", e.toString());
        }
    }

    /** Uploads the branch's local snapshots that are not in the bucket yet (oldest first). */
    public void uploadSnapshots(Project project, Branch branch) throws IOException {
        synchronized (uploadLock) {
            uploadSnapshotsLocked(project, branch);
        }
    }

    private void uploadSnapshotsLocked(Project project, Branch branch) throws IOException {
        BucketLayout bl = layoutOf(project, branch);
        for (Snapshot s : localSnapshots.list(layout.snapshotsDir(project, branch))) {
            String id = branch.uid() + "/" + s.dir().getFileName();
            if (uploaded.contains(id)) {
                continue;
            }
            if (!transfer.has(bl, s)) {
                transfer.upload(bl, s);
            }
            uploaded.add(id);
        }
    }

    /** Uploads a named project snapshot's copy if the bucket lacks it (its unchanged pieces are the branch's, not sent again). */
    public void uploadNamed(Project project, dev.oxbow.metadata.ProjectSnapshot named) throws IOException {
        synchronized (uploadLock) {
            BucketLayout bl = layoutOf(project, named);
            for (Snapshot s : localSnapshots.list(layout.projectSnapshotDir(project, named.uid()))) {
                String id = named.uid() + "/" + s.dir().getFileName();
                if (uploaded.contains(id)) {
                    continue;
                }
                if (!transfer.has(bl, s)) {
                    transfer.upload(bl, s);
                }
                uploaded.add(id);
            }
        }
    }

    /**
     * Rebuilds a named snapshot's copy from the bucket into {@code dir} (its local directory, gone after a
     * restore into a new home); empty if the bucket has none.
     */
    Optional<Snapshot> downloadNamed(Project project, dev.oxbow.metadata.ProjectSnapshot named, Path dir)
            throws IOException, dev.oxbow.compute.ComputeException {
        BucketLayout bl = layoutOf(project, named);
        List<SnapshotTransfer.Remote> remote = transfer.list(bl);
        if (remote.isEmpty()) {
            return Optional.empty();
        }
        SnapshotTransfer.Remote last = remote.get(remote.size() - 1);
        transfer.download(bl, last.name(), dir, computes.owner(project));
        uploaded.add(named.uid() + "/" + last.name());
        return Optional.of(new Snapshot(dir.resolve(last.name()), last.lsn(), last.time(), last.startSegment()));
    }

    /** Removes a deleted named snapshot's objects (and the pieces nothing else names); logs instead of failing. */
    public void removeNamedQuietly(Project project, dev.oxbow.metadata.ProjectSnapshot named) {
        synchronized (uploadLock) {
            try {
                int n = retention.removeBranch(layoutOf(project, named));
                log.info("named snapshot removed from the object store snapshot={} objects={}", named.name(), n);
            } catch (IOException e) {
                log.warn("named snapshot objects not removed from the object store snapshot={} uid={} cause={}", named.name(), named.uid(),
                        e.getMessage());
            }
        }
    }

    /** Backs up the metadata now (also done every upload interval). */
    public void backUpMetadata() throws IOException {
        metadata.backUp();
    }

    /**
     * The oldest archived segment the bucket does not hold yet: local pruning keeps it and what follows
     * (everything, before the first shipping pass).
     */
    Optional<String> keepLocalWalFrom(Project project, Branch branch) throws IOException {
        return shipper(project, branch).firstUnshipped(layout.archiveDir(project, branch));
    }

    /** The branch's snapshots in the bucket, as local snapshots-to-be (their directory may not exist yet), oldest first. */
    List<Snapshot> remoteSnapshots(Project project, Branch branch) throws IOException {
        Path snapshotsDir = layout.snapshotsDir(project, branch);
        return transfer.list(layoutOf(project, branch)).stream()
                .map(r -> new Snapshot(snapshotsDir.resolve(r.name()), r.lsn(), r.time(), r.startSegment())).toList();
    }

    /** The snapshot with its files on the local disk: downloaded from the bucket if its directory is gone. */
    Snapshot ensureLocal(Project project, Branch branch, Snapshot snapshot) throws IOException, dev.oxbow.compute.ComputeException {
        if (!java.nio.file.Files.isDirectory(snapshot.pgdata())) {
            transfer.download(layoutOf(project, branch), snapshot.dir().getFileName().toString(), snapshot.dir().getParent(), computes.owner(project));
        }
        uploaded.add(branch.uid() + "/" + snapshot.dir().getFileName());
        return snapshot;
    }

    /**
     * Copies the branch's WAL from {@code fromSegment} on into {@code dir}. {@code withTail} also rebuilds the
     * segment that was being written (for a disaster recovery into a directory of its own; never into a live
     * archive, which would then ship the partial rebuild as a whole segment).
     */
    int fetchWal(Project project, Branch branch, String fromSegment, Path dir, boolean withTail) throws IOException, dev.oxbow.compute.ComputeException {
        var owner = computes.owner(project);
        owner.privateDir(dir);
        BucketLayout bl = layoutOf(project, branch);
        return fetcher.fetch(bl, fromSegment, SEGMENT_SIZE, dir, owner, withTail);
    }

    /**
     * Drops bucket history the restore window no longer needs ({@link BucketRetention}): what a child branch
     * still names stays. Runs under the upload lock, so a piece an upload is reusing is never collected under it.
     */
    void prune(Project project, Branch branch) throws IOException {
        synchronized (uploadLock) {
            BucketRetention.Pruned p = retention.prune(layoutOf(project, branch), clock.instant().minusSeconds(project.historyRetentionSeconds()));
            if (p.any()) {
                log.info("bucket history pruned branch={} snapshots_removed={} wal_objects_removed={} chunks_removed={}", branch.name(),
                        p.snapshots(), p.walObjects(), p.chunks());
            }
        }
    }

    /** Removes a purged branch's objects; the pieces other branches still name stay. */
    public void purgeQuietly(Project project, Branch branch) {
        synchronized (uploadLock) {
            try {
                int n = retention.removeBranch(layoutOf(project, branch));
                shippers.remove(branch.uid());
                log.info("branch history removed from the object store branch={} objects={}", branch.name(), n);
            } catch (IOException e) {
                log.warn("branch objects not removed from the object store branch={} uid={} cause={}", branch.name(), branch.uid(), e.getMessage());
            }
        }
    }

    /** Fills an empty home from the bucket (metadata and the home's secrets); see {@link MetadataBackup#restoreHome}. */
    public static void restoreHome(ObjectStore bucket, Layout layout, Map<String, String> env) throws IOException {
        MetadataBackup.restoreHome(bucket, layout, env);
    }

    /** {@link #purge}, logging instead of failing: objects left by an unreachable store cost space, not correctness. */
    public void purgeQuietly(Project project) {
        try {
            purge(project);
        } catch (IOException e) {
            log.warn("project objects not removed from the object store project={} uid={} cause={}", project.name(), project.uid(), e.getMessage());
        }
    }

    /** Removes every object of a purged project. */
    public void purge(Project project) throws IOException {
        List<String> keys = bucket.list(BucketLayout.project(project.uid())).stream().map(ObjectInfo::key).toList();
        bucket.delete(keys);
        transfer.forget(new BucketLayout(project.uid(), "-"));
        log.info("project history removed from the object store project={} objects={}", project.name(), keys.size());
    }

    @Override
    public void close() {
        closing = true;
        shipTimer.shutdownNow();
        uploadTimer.shutdownNow();
        try {
            shipTimer.awaitTermination(10, TimeUnit.SECONDS); // a pass in progress could start a receiver
            uploadTimer.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        receivers.keySet().forEach(uid -> {
            WalReceiver r = receivers.remove(uid);
            if (r != null) {
                r.close();
            }
        });
        bucket.close();
    }
}
