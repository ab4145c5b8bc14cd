package dev.oxbow.controlplane.history;

import dev.oxbow.controlplane.compute.Computes;
import dev.oxbow.controlplane.resource.ApiException;
import dev.oxbow.controlplane.resource.Cascade;
import dev.oxbow.controlplane.resource.Defaults;
import dev.oxbow.controlplane.resource.Layout;
import dev.oxbow.compute.ComputeException;
import dev.oxbow.compute.ComputeSpec;
import dev.oxbow.compute.PgConnections;
import dev.oxbow.metadata.Branch;
import dev.oxbow.metadata.Endpoint;
import dev.oxbow.metadata.MetadataStore;
import dev.oxbow.metadata.Project;
import dev.oxbow.storage.BranchCloner;
import dev.oxbow.compute.Lsn;
import dev.oxbow.storage.PointInTimeRecovery;
import dev.oxbow.storage.PointInTimeRecovery.Target;
import dev.oxbow.storage.Snapshot;
import dev.oxbow.storage.SnapshotStore;
import dev.oxbow.storage.WalArchive;
import dev.oxbow.storage.WalBridge;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Branch history: every branch is a timeline of snapshots plus its continuous WAL archive. A past
 * point of a branch is the newest snapshot before it plus WAL replayed up to it; points before a
 * branch's own first snapshot come from its parent's history, up to the branch point.
 */
public final class Timelines {
    private static final Logger log = LoggerFactory.getLogger(Timelines.class);
    private static final Duration FLUSH_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration RECOVERY_TIMEOUT = Duration.ofMinutes(30);

    /**
     * The branch whose history holds a point, and the snapshot recovery starts from; with a {@code bridge}, the
     * snapshot is its parent's, for a point after the branch point that is older than the branch's own first snapshot.
     */
    public record Source(Branch branch, Snapshot snapshot, Optional<Bridge> bridge) {
        public Source(Branch branch, Snapshot snapshot) {
            this(branch, snapshot, Optional.empty());
        }
    }

    /**
     * Points of a branch between its branch point and its first snapshot (taken after the create is done): the
     * parent's snapshot before the branch point, the parent's WAL up to the segment holding the branch point, and the
     * branch's own WAL from that segment on. A clone's copy point ends a segment, or its WAL copy holds the parent's
     * part of that segment, so the branch's version of it begins with the parent's WAL: nothing is missing between them.
     */
    public record Bridge(Branch parent, String branchPointLsn) {}

    /** The point a recovery actually reached (the time is the requested one, null for an LSN target). */
    public record Reached(String lsn, Instant time) {}

    private final MetadataStore store;
    private final Computes computes;
    private final BranchCloner cloner;
    private final SnapshotStore snapshots;
    private final PointInTimeRecovery recovery;
    private final Layout layout;
    private final Clock clock;
    private final Optional<BucketHistory> bucket;

    public Timelines(MetadataStore store, Computes computes, BranchCloner cloner, Layout layout, Clock clock) {
        this(store, computes, cloner, layout, clock, Optional.empty());
    }

    /** With {@code bucket}, history the local disk no longer has is read from the object store. */
    public Timelines(MetadataStore store, Computes computes, BranchCloner cloner, Layout layout, Clock clock, Optional<BucketHistory> bucket) {
        this.bucket = bucket;
        this.store = store;
        this.computes = computes;
        this.cloner = cloner;
        this.snapshots = new SnapshotStore(cloner, clock);
        this.recovery = new PointInTimeRecovery(cloner);
        this.layout = layout;
        this.clock = clock;
    }

    public List<Snapshot> snapshots(Project project, Branch branch) throws IOException {
        return snapshots.list(layout.snapshotsDir(project, branch));
    }

    /** Takes a snapshot of the branch's current data; its compute is started for it if suspended, and stopped again. */
    public Snapshot snapshot(Project project, Branch branch) throws ComputeException, IOException, SQLException {
        try (Computes.Lease primary = computes.leasePrimary(project, branch, "snapshot")) {
            return snapshots.take(computes.owner(project), layout.socketDir(primary.endpoint()), Defaults.SYSTEM_ROLE, layout.dataDir(project, branch),
                    layout.snapshotsDir(project, branch));
        }
    }

    /**
     * The first snapshot of a cloned branch ({@link FirstSnapshots}), unless it has one already or changed while the
     * request waited (deleted, or not READY: being replaced).
     */
    public void firstSnapshot(String branchName) throws Exception {
        Branch branch = store.branches().get(branchName).orElse(null);
        Project project = branch == null ? null : store.projects().get(Project.nameOf(branch.projectId())).orElse(null);
        if (project == null || project.deleted() || branch.deleted() || branch.state() != dev.oxbow.metadata.BranchState.READY
                || !snapshots(project, branch).isEmpty()) {
            return;
        }
        snapshot(project, branch);
    }

    /**
     * Makes a fresh clone (not started yet) the first snapshot of the history beside it, so that history
     * begins exactly at the branch point; points before it come from the parent.
     */
    /**
     * Forgets the history an interrupted earlier attempt left beside a data directory about to be cloned again (its
     * snapshots and WAL belong to another copy); the new history begins with the first snapshot taken after the create.
     */
    public void clearForClone(Path dataDir) throws IOException {
        cloner.delete(dataDir.resolveSibling(SnapshotStore.DIR));
        cloner.delete(dataDir.resolveSibling(WalArchive.DIR));
    }

    public void adoptBranchPoint(Project project, Path clonedDataDir, String lsn, Instant time) throws ComputeException, IOException {
        cloner.delete(clonedDataDir.resolveSibling(SnapshotStore.DIR)); // left by an interrupted earlier attempt
        snapshots.adopt(computes.owner(project), clonedDataDir, lsn, time, clonedDataDir.resolveSibling(SnapshotStore.DIR));
    }

    /**
     * Makes a cleanly stopped data directory (a masked branch's, after masking) the first and only snapshot of the
     * history beside it, at its shutdown checkpoint; whatever history was there before is dropped.
     */
    public Snapshot restartHistoryAt(Project project, Path stoppedDataDir) throws ComputeException, IOException {
        cloner.delete(stoppedDataDir.resolveSibling(SnapshotStore.DIR));
        return snapshots.adoptStopped(computes.owner(project), stoppedDataDir, stoppedDataDir.resolveSibling(SnapshotStore.DIR));
    }

    /** The branch's WAL position now (its compute runs, or is started for the query). */
    long currentLsn(Project project, Branch branch) throws ComputeException, SQLException {
        try (Connection c = computes.connect(project, branch, "postgres");
             Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT pg_current_wal_lsn()::text")) {
            rs.next();
            return Lsn.parse(rs.getString(1));
        } finally {
            computes.settle(branch);
        }
    }

    /**
     * Validates a target against the project's restore window and finds the history holding it: the
     * branch's own, else (for points before its branch point) its ancestors'. Invalid points are refused
     * with INVALID_PARAMETER_VALUE naming the window.
     */
    public Source resolve(Project project, Branch branch, Target target, String field) throws IOException {
        checkWindow(project, target, field);
        Branch current = branch;
        while (true) {
            refuseBeforeMasking(current, branch, target, field);
            Optional<Snapshot> s = pick(snapshots(project, current), target);
            if (s.isEmpty() && bucket.isPresent()) {
                s = pick(bucket.get().remoteSnapshots(project, current), target); // the local copy is gone: the bucket's
            }
            if (s.isPresent()) {
                return new Source(current, s.get());
            }
            if (!current.isRoot() && !current.masked() && current.sourceBranchLsn() != null && !beforeBranchPoint(current, target)) {
                Optional<Source> bridged = bridge(project, current);
                if (bridged.isPresent()) {
                    return bridged.get();
                }
            }
            if (current.isRoot() || !beforeBranchPoint(current, target)) {
                break;
            }
            current = Cascade.requireBranch(store, Branch.nameOf(current.projectId(), current.sourceBranchId()));
        }
        List<Snapshot> own = snapshots(project, branch);
        String earliest = own.isEmpty() ? "none yet" : own.get(0).time() + " (LSN " + own.get(0).lsn() + ")";
        throw ApiException.invalid("Field " + field + " (" + (target.lsn() != null ? target.lsn() : target.time())
                + ") is before the history Oxbow keeps for " + branch.name() + "; its earliest restorable point is " + earliest + ".");
    }

    /** Refuses a time in the future or before the project's restore window (no I/O: the clock and the project only). */
    public void checkWindow(Project project, Target target, String field) {
        Instant now = clock.instant();
        Instant horizon = now.minusSeconds(project.historyRetentionSeconds());
        if (target.time() != null) {
            if (target.time().isAfter(now)) {
                throw ApiException.invalid("Field " + field + " is in the future (" + target.time() + "); the latest point is now (" + now + ").");
            }
            if (target.time().isBefore(horizon)) {
                throw ApiException.invalid("Field " + field + " (" + target.time() + ") is outside the project's restore window: history_retention_duration is "
                        + project.historyRetentionSeconds() + "s, so the earliest point is " + horizon + ".");
            }
        }
    }

    /**
     * A masked branch's history begins where its data was masked: an earlier point (its own, or its parent's
     * before it was branched) would be unmasked data, so it is refused, and so is any point while masking runs.
     */
    private static void refuseBeforeMasking(Branch current, Branch asked, Target target, String field) {
        if (!current.masked()) {
            return;
        }
        if (!current.maskingDone()) {
            throw ApiException.invalidState("Branch " + current.name() + " is still being masked; it has no history to read yet.");
        }
        boolean before = target.lsn() != null ? Lsn.parse(target.lsn()) < Lsn.parse(current.maskedLsn())
                : target.time().isBefore(current.maskedTime());
        if (before) {
            throw ApiException.invalid("Field " + field + " (" + (target.lsn() != null ? target.lsn() : target.time()) + ") is before "
                    + asked.name() + " was masked; a masked branch's earliest point is " + current.maskedTime() + " (LSN " + current.maskedLsn()
                    + "), and nothing earlier (unmasked data) can be restored or branched from it.");
        }
    }

    /** The parent's newest snapshot at or before the branch point of {@code branch}, as the base of a {@link Bridge}. */
    private Optional<Source> bridge(Project project, Branch branch) throws IOException {
        Optional<Branch> parent = store.branches().get(Branch.nameOf(branch.projectId(), branch.sourceBranchId()));
        if (parent.isEmpty()) {
            return Optional.empty();
        }
        return pick(snapshots(project, parent.get()), new Target(branch.sourceBranchLsn(), null))
                .map(s -> new Source(branch, s, Optional.of(new Bridge(parent.get(), branch.sourceBranchLsn()))));
    }

    private static Optional<Snapshot> pick(List<Snapshot> snaps, Target target) {
        Snapshot best = null;
        for (Snapshot s : snaps) {
            boolean usable = target.lsn() != null ? s.lsnValue() <= Lsn.parse(target.lsn()) : !s.time().isAfter(target.time());
            if (usable) {
                best = s;
            }
        }
        return Optional.ofNullable(best);
    }

    private static boolean beforeBranchPoint(Branch b, Target target) {
        if (target.lsn() != null) {
            return b.sourceBranchLsn() != null && Lsn.parse(target.lsn()) <= Lsn.parse(b.sourceBranchLsn());
        }
        return b.sourceBranchTime() != null && !target.time().isAfter(b.sourceBranchTime());
    }

    /**
     * Builds {@code dataDir} as the source's data at the target: makes the source's archive complete up
     * to now, copies the snapshot, replays WAL in a temporary server that promotes at the target, and
     * stops it. The new timeline's WAL goes to the archive beside {@code dataDir}.
     */
    public Reached recover(Project project, Branch target, Source source, Target point, Path dataDir) throws Exception {
        dev.oxbow.compute.PhaseTimer phases = dev.oxbow.compute.PhaseTimer.start();
        prepareCopy(project, source, point, dataDir, phases);
        var owner = computes.owner(project);
        computes.ensureArchiveDir(project, dataDir.resolveSibling(WalArchive.DIR));
        Map<String, String> settings = new LinkedHashMap<>(computes.recoverySettings(project, target));
        WalSource wal = walSource(project, source, dataDir);
        settings.putAll(PointInTimeRecovery.settings(wal.dir(), point));
        wal.timeline().ifPresent(t -> settings.put("recovery_target_timeline", t));
        // The replay writes without fsync (PostgreSQL's three per restored segment, the end-of-recovery checkpoint's,
        // the CHECKPOINT's and the snapshot's below), and one syncfs after the stop makes it all durable at once. A crash
        // before that sync leaves nothing in use: the operation is retried and prepareCopy starts again from an empty
        // data directory and snapshot directory. oxbow.conf is rewritten at every start, so the branch's own server
        // (and any later start of the snapshot) runs with fsync on.
        settings.put("fsync", "off");
        String uid = "rcv-" + target.uid();
        Path socketDir = layout.socketDir(uid);
        var runtime = computes.runtime();
        runtime.stop(uid);
        try {
            phases.end("prepare");
            runtime.start(new ComputeSpec(uid, project.uid(), project.pgVersion(), dataDir, socketDir, settings));
            phases.end("start");
            // the replay, the promotion and its end-of-recovery checkpoint (which writes every page the replay dirtied)
            try (Connection c = awaitPromoted(socketDir, dataDir, point); Statement st = c.createStatement()) {
                phases.end("replay");
                try (ResultSet rs = st.executeQuery("SELECT pg_is_in_recovery()")) {
                    rs.next();
                    if (rs.getBoolean(1)) {
                        throw new ComputeException("recovery of " + dataDir + " to " + point + " did not end");
                    }
                }
                st.execute("CHECKPOINT");
            }
            dev.oxbow.storage.WalPrefetch.clear(dataDir); // not part of the snapshot nor of the branch's data
            phases.end("checkpoint");
            // the recovered state is the first snapshot of the history beside it
            snapshots.take(owner, socketDir, Defaults.SYSTEM_ROLE, dataDir, dataDir.resolveSibling(SnapshotStore.DIR));
            phases.end("snapshot");
        } finally {
            runtime.stop(uid);
            cloner.delete(dataDir.resolveSibling(BRIDGE_DIR));
        }
        phases.end("stop");
        dev.oxbow.compute.FileSystemSync.syncfs(dataDir, dataDir.resolveSibling(SnapshotStore.DIR), dataDir.resolveSibling(WalArchive.DIR));
        phases.end("sync");
        String lsn = PointInTimeRecovery.switchPoint(dataDir).orElse(point.lsn());
        // the WAL between the snapshot and the point reached: what the replay phase read, so its rate shows beside it
        long replayedMb = lsn == null ? -1 : Math.max(0, Lsn.parse(lsn) - source.snapshot().lsnValue()) >> 20;
        log.info("branch data recovered branch={} source={} snapshot={} target={} reached_lsn={} replayed_mb={} {}", target.name(),
                source.branch().name(), source.snapshot().dir().getFileName(), point, lsn, replayedMb, phases);
        return new Reached(lsn, point.time());
    }

    /**
     * The source's archive made complete up to now (so the point is reachable; an LSN past its end is refused), then
     * the snapshot copied into {@code dataDir} with a request for archive recovery.
     */
    private void prepareCopy(Project project, Source source, Target point, Path dataDir, dev.oxbow.compute.PhaseTimer phases) throws Exception {
        String reachable = flush(project, source.branch());
        if (source.bridge().isPresent()) {
            flush(project, source.bridge().get().parent()); // its WAL up to the branch point
        }
        phases.end("flush");
        if (point.lsn() != null && Lsn.parse(point.lsn()) > Lsn.parse(reachable)) {
            throw ApiException.invalid("LSN " + point.lsn() + " is ahead of branch " + source.branch().name()
                    + ", whose WAL ends at " + reachable + ".");
        }
        cloner.delete(dataDir);
        cloner.delete(dataDir.resolveSibling(SnapshotStore.DIR));
        Snapshot from = source.snapshot();
        if (bucket.isPresent() && source.bridge().isEmpty()) {
            // history deleted locally comes back from the bucket: the snapshot, and the WAL after it
            from = bucket.get().ensureLocal(project, source.branch(), from);
            try {
                int fetched = bucket.get().fetchWal(project, source.branch(), from.startSegment(), layout.archiveDir(project, source.branch()), false);
                if (fetched > 0) {
                    log.info("wal fetched from the object store branch={} files={}", source.branch().name(), fetched);
                }
            } catch (IOException e) {
                // the bucket is down: the local archive usually has it all (it keeps what is unshipped); replay says if not
                log.warn("object store unreachable, recovering from the local archive only branch={} cause={}", source.branch().name(), e.getMessage());
            }
        }
        recovery.prepare(computes.owner(project), from, dataDir);
        phases.end("copy");
    }

    /**
     * Builds {@code dataDir} for a read-only look at a past point of {@code branch}: the source's snapshot, and the
     * settings of a hot standby (Oxbow's own settings only, no WAL archiving) that replays up to the point and
     * pauses there. The caller starts it and waits for the pause ({@link PastComputes}).
     */
    Map<String, String> preparePaused(Project project, Branch branch, Source source, Target point, Path dataDir,
                                      dev.oxbow.compute.PhaseTimer phases) throws Exception {
        prepareCopy(project, source, point, dataDir, phases);
        Map<String, String> settings = new LinkedHashMap<>(computes.recoverySettings(project, branch));
        WalSource wal = walSource(project, source, dataDir);
        settings.putAll(PointInTimeRecovery.pausedSettings(wal.dir(), point));
        wal.timeline().ifPresent(t -> settings.put("recovery_target_timeline", t));
        settings.put("archive_mode", "off"); // it never writes WAL of its own; nothing may reach the branch's archive
        return settings;
    }

    /** Beside a recovery's data directory: the joined WAL of a {@link Bridge} (hard links), removed with it. */
    private static final String BRIDGE_DIR = "wal-bridge";

    /** Where a recovery reads WAL from, and for a bridge the timeline to follow (the branch's at its branch point). */
    private record WalSource(Path dir, Optional<String> timeline) {}

    private WalSource walSource(Project project, Source source, Path dataDir) throws IOException, ComputeException {
        if (source.bridge().isEmpty()) {
            return new WalSource(layout.archiveDir(project, source.branch()), Optional.empty());
        }
        Bridge bridge = source.bridge().get();
        Path joined = dataDir.resolveSibling(BRIDGE_DIR);
        cloner.delete(joined);
        String timeline = WalBridge.link(computes.owner(project), layout.archiveDir(project, bridge.parent()), layout.archiveDir(project, source.branch()),
                Lsn.parse(bridge.branchPointLsn()), source.snapshot().pgdata(), joined);
        // the parent may have gone on to newer timelines since; the point is on the branch's
        return new WalSource(joined, Optional.of(Long.toString(Long.parseLong(timeline, 16))));
    }

    /** The server accepts connections once recovery has reached the target and promoted (hot standby is off). */
    private Connection awaitPromoted(Path socketDir, Path dataDir, Target point) throws Exception {
        long deadline = System.nanoTime() + RECOVERY_TIMEOUT.toNanos();
        while (true) {
            try {
                return PgConnections.openForOxbow(socketDir, "postgres", Defaults.SYSTEM_ROLE);
            } catch (SQLException e) {
                if (!"57P03".equals(e.getSQLState()) || System.nanoTime() > deadline) {
                    throw new ComputeException("recovery of " + dataDir + " to " + point + " did not finish: " + e.getMessage(), e);
                }
                Thread.sleep(50);
            }
        }
    }

    /** Makes the branch's archive hold all of its WAL up to now; returns that position. */
    private String flush(Project project, Branch branch) throws ComputeException, SQLException {
        try (Computes.Lease primary = computes.leasePrimary(project, branch, "WAL flush");
             Connection c = PgConnections.openForOxbow(layout.socketDir(primary.endpoint()), "postgres", Defaults.SYSTEM_ROLE)) {
            return WalArchive.flush(c, layout.archiveDir(project, branch), FLUSH_TIMEOUT);
        }
    }

    /**
     * The disk one more snapshot of the branch takes: next to nothing where its files are reflinked (or hard-linked),
     * a copy of its data where they are copied.
     */
    public long snapshotCopyBytes(Project project, Branch branch) throws IOException {
        return fullCopies(project, branch) ? Math.max(0, branch.logicalSizeBytes()) : 0;
    }

    /** Whether the branch's snapshots are full copies of its data (no reflinks on its file system). */
    private boolean fullCopies(Project project, Branch branch) throws IOException {
        return cloner.strategyFor(layout.snapshotsDir(project, branch)) == dev.oxbow.storage.CloneStrategy.COPY;
    }

    /** A purged branch's objects leave the bucket too (pieces its project's other branches name stay). */
    public void removeFromBucket(Project project, Branch branch) {
        bucket.ifPresent(b -> b.purgeQuietly(project, branch));
    }

    /**
     * Drops what the restore window no longer needs: snapshots older than the newest one taken before the
     * window's start, and archived WAL older than the oldest snapshot kept. Where snapshots are full copies, also
     * thins those inside the window ({@link SnapshotThinning}). Returns the bytes freed by WAL.
     */
    long prune(Project project, Branch branch) throws IOException {
        List<Snapshot> snaps = snapshots(project, branch);
        if (snaps.isEmpty()) {
            pruneBucket(project, branch); // the local copy is gone (a rebuilt disk): the bucket still follows the window
            return 0;
        }
        Instant horizon = clock.instant().minusSeconds(project.historyRetentionSeconds());
        int keepFrom = 0;
        for (int i = 0; i < snaps.size(); i++) {
            if (!snaps.get(i).time().isAfter(horizon)) {
                keepFrom = i;
            }
        }
        for (int i = 0; i < keepFrom; i++) {
            snapshots.remove(snaps.get(i));
        }
        if (fullCopies(project, branch)) {
            // full copies: the window keeps an hour of them, then one an hour, then one a day
            for (Snapshot s : SnapshotThinning.doomed(snaps.subList(keepFrom, snaps.size()), clock.instant())) {
                snapshots.remove(s);
            }
        }
        String keep = snaps.get(keepFrom).startSegment();
        if (keepFrom == 0 && snaps.get(0).time().isAfter(horizon) && !branch.isRoot() && branch.sourceBranchLsn() != null
                && Lsn.parse(branch.sourceBranchLsn()) < snaps.get(0).lsnValue()) {
            // the window still reaches before the first snapshot: those points replay the WAL from the branch point ({@link Bridge})
            String bridgeStart = WalBridge.segmentOf(Lsn.parse(branch.sourceBranchLsn()), snaps.get(0).pgdata());
            if (bridgeStart.substring(8, 24).compareTo(keep.substring(8, 24)) < 0) {
                keep = bridgeStart;
            }
        }
        if (bucket.isPresent()) {
            Optional<String> unshipped = bucket.get().keepLocalWalFrom(project, branch);
            if (unshipped.isPresent() && unshipped.get().substring(8, 24).compareTo(keep.substring(8, 24)) < 0) {
                keep = unshipped.get(); // not in the bucket yet: the local archive is its only copy
            }
            pruneBucket(project, branch);
        }
        return WalArchive.prune(layout.archiveDir(project, branch), keep);
    }

    private void pruneBucket(Project project, Branch branch) {
        if (bucket.isEmpty()) {
            return;
        }
        try {
            bucket.get().prune(project, branch);
        } catch (IOException e) {
            log.warn("bucket history not pruned branch={} cause={}", branch.name(), e.getMessage());
        }
    }

    /**
     * Rebuilds a branch whose data directory is gone from the bucket alone (a disaster recovery): its newest
     * snapshot there, all its WAL after it (the tail that was being written included), replayed to the end in
     * a temporary server that then promotes. Returns the LSN the branch's new timeline starts at.
     */
    public String rebuildFromBucket(Project project, Branch branch) throws Exception {
        if (bucket.isEmpty()) {
            throw new IllegalStateException("no object store configured");
        }
        long start = System.nanoTime();
        BucketHistory b = bucket.get();
        List<Snapshot> remote = b.remoteSnapshots(project, branch);
        if (remote.isEmpty()) {
            throw new ComputeException("branch " + branch.name() + " has no snapshot in " + b.location() + "; it cannot be rebuilt");
        }
        Path dataDir = layout.dataDir(project, branch);
        cloner.delete(dataDir);
        cloner.delete(layout.snapshotsDir(project, branch));
        var owner = computes.owner(project);
        owner.containerDirs(layout.branchDir(project, branch));
        Snapshot snap = b.ensureLocal(project, branch, remote.get(remote.size() - 1));
        Path fetched = layout.branchDir(project, branch).resolve("wal-restore");
        cloner.delete(fetched);
        int files = b.fetchWal(project, branch, snap.startSegment(), fetched, true);
        recovery.prepare(owner, snap, dataDir);
        computes.ensureArchiveDir(project, layout.archiveDir(project, branch));
        Map<String, String> settings = new LinkedHashMap<>(computes.recoverySettings(project, branch));
        settings.putAll(PointInTimeRecovery.settingsToEnd(fetched));
        String uid = "rcv-" + branch.uid();
        Path socketDir = layout.socketDir(uid);
        var runtime = computes.runtime();
        runtime.stop(uid);
        try {
            runtime.start(new ComputeSpec(uid, project.uid(), project.pgVersion(), dataDir, socketDir, settings));
            Target end = new Target("FFFFFFFF/FFFFFFFF", null);
            try (Connection c = awaitPromoted(socketDir, dataDir, end); Statement st = c.createStatement()) {
                st.execute("CHECKPOINT");
            }
            dev.oxbow.storage.WalPrefetch.clear(dataDir);
        } finally {
            runtime.stop(uid);
            cloner.delete(fetched);
        }
        String lsn = PointInTimeRecovery.switchPoint(dataDir).orElse(snap.lsn());
        log.info("branch rebuilt from the object store branch={} snapshot={} wal_files={} reached_lsn={} ms={}", branch.name(),
                snap.dir().getFileName(), files, lsn, (System.nanoTime() - start) / 1_000_000);
        return lsn;
    }
}
