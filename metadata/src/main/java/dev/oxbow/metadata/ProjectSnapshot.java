package dev.oxbow.metadata;

import java.time.Instant;
import java.util.List;

/**
 * A named snapshot of a project's root branch ({@code projects/p/snapshots/s}): a consistent copy of the
 * branch's data at {@code lsn}/{@code time}, kept in its own directory (keyed by {@code uid}) until it is
 * deleted, so the restore window's pruning never touches it. It carries the branch's roles and databases
 * as they were, which a branch made from it starts with. {@code state} is CREATING, READY or DELETING;
 * {@code scheduled} marks one taken by the branch's snapshot schedule rather than on request.
 */
public record ProjectSnapshot(
        String projectId,
        String snapshotId,
        String uid,
        Instant createTime,
        Instant updateTime,
        SnapshotState state,
        String sourceBranchId,
        String lsn,
        Instant time,
        boolean scheduled,
        long sizeBytes,
        List<Role> roles,
        List<Database> databases) implements Resource {

    public ProjectSnapshot {
        roles = roles == null ? List.of() : List.copyOf(roles);
        databases = databases == null ? List.of() : List.copyOf(databases);
    }

    public static String nameOf(String projectId, String snapshotId) {
        return Project.nameOf(projectId) + "/snapshots/" + snapshotId;
    }

    @Override
    public String name() {
        return nameOf(projectId, snapshotId);
    }

    @Override
    public String parentName() {
        return Project.nameOf(projectId);
    }

    public boolean ready() {
        return state == SnapshotState.READY;
    }

    /** The snapshot once its data is taken. */
    public ProjectSnapshot taken(String pointLsn, Instant pointTime, long bytes, List<Role> atRoles, List<Database> atDatabases, Instant now) {
        return new ProjectSnapshot(projectId, snapshotId, uid, createTime, now, SnapshotState.READY, sourceBranchId, pointLsn, pointTime, scheduled, bytes,
                atRoles, atDatabases);
    }

    public ProjectSnapshot withState(SnapshotState newState, Instant now) {
        return new ProjectSnapshot(projectId, snapshotId, uid, createTime, now, newState, sourceBranchId, lsn, time, scheduled, sizeBytes,
                roles, databases);
    }
}
