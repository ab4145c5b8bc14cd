package dev.oxbow.storage.bucket;

import dev.oxbow.storage.object.ObjectInfo;
import dev.oxbow.storage.object.ObjectStore;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Garbage collection of branch history in the bucket, by the same rule as on the local disk: every point
 * after the restore window's start stays restorable, so the newest snapshot at or before the horizon is kept
 * with everything after it; older snapshots go, then WAL (whole segments and tail ranges) before the oldest
 * kept snapshot's start segment, then pieces that no manifest of the project names any more. Manifests of
 * every branch count (a child's snapshot shares the pieces of its parent's files), and a piece younger than
 * {@code orphanAge} is kept even when unnamed: an upload in progress writes its manifest last.
 */
public final class BucketRetention {
    /** What one pass removed. */
    public record Pruned(int snapshots, int walObjects, int chunks) {
        public boolean any() {
            return snapshots + walObjects + chunks > 0;
        }
    }

    private final ObjectStore store;
    private final SnapshotTransfer transfer;
    private final Duration orphanAge;
    private final Clock clock;

    public BucketRetention(ObjectStore store, SnapshotTransfer transfer, Duration orphanAge, Clock clock) {
        this.store = store;
        this.transfer = transfer;
        this.orphanAge = orphanAge;
        this.clock = clock;
    }

    /** Prunes one branch's history older than {@code horizon}, then the project's unnamed pieces. */
    public Pruned prune(BucketLayout layout, Instant horizon) throws IOException {
        List<SnapshotTransfer.Remote> snaps = transfer.list(layout);
        if (snaps.isEmpty()) {
            return new Pruned(0, 0, 0); // without a snapshot every WAL object may still be the only way back
        }
        int keepFrom = 0;
        for (int i = 0; i < snaps.size(); i++) {
            if (!snaps.get(i).time().isAfter(horizon)) {
                keepFrom = i;
            }
        }
        for (int i = 0; i < keepFrom; i++) {
            transfer.delete(layout, snaps.get(i).name());
        }
        String keepPosition = snaps.get(keepFrom).startSegment().substring(8, 24);
        List<String> doomed = new ArrayList<>();
        for (ObjectInfo o : store.list(layout.wal())) {
            String name = o.key().substring(layout.wal().length());
            if (name.length() >= 24 && WalSegment.isName(name.substring(0, 24)) && name.substring(8, 24).compareTo(keepPosition) < 0) {
                doomed.add(o.key());
            }
        }
        for (ObjectInfo o : store.list(layout.walTail())) {
            String segment = o.key().substring(layout.walTail().length());
            if (segment.length() > 24 && WalSegment.isName(segment.substring(0, 24)) && segment.substring(8, 24).compareTo(keepPosition) < 0) {
                doomed.add(o.key());
            }
        }
        if (!doomed.isEmpty()) {
            store.delete(doomed);
        }
        // pieces left unnamed (by this pass, or by an upload killed midway) go when history moved on
        int chunks = keepFrom > 0 || !doomed.isEmpty() ? collectChunks(layout.projectUid()) : 0;
        return new Pruned(keepFrom, doomed.size(), chunks);
    }

    /** Removes a purged branch's objects (its manifests and WAL), then the pieces nothing names any more. */
    public int removeBranch(BucketLayout layout) throws IOException {
        List<String> keys = store.list(layout.branch()).stream().map(ObjectInfo::key).toList();
        store.delete(keys);
        collectChunks(layout.projectUid());
        return keys.size();
    }

    /** Deletes the project's pieces no manifest names that are older than the orphan age; returns how many. */
    public int collectChunks(String projectUid) throws IOException {
        Set<String> referenced = transfer.referencedChunks(projectUid);
        Instant oldEnough = clock.instant().minus(orphanAge);
        BucketLayout any = new BucketLayout(projectUid, "-");
        List<String> doomed = new ArrayList<>();
        for (ObjectInfo o : store.list(any.chunks())) {
            if (!referenced.contains(o.key()) && o.lastModified().isBefore(oldEnough)) {
                doomed.add(o.key());
            }
        }
        if (!doomed.isEmpty()) {
            store.delete(doomed);
            transfer.forget(any); // this process must not reuse a piece it no longer has
        }
        return doomed.size();
    }
}
