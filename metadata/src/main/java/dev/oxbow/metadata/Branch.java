package dev.oxbow.metadata;

import java.time.Instant;

/**
 * A branch: a timeline with its own data directory. {@code sourceBranchId} is null for a root branch.
 * {@code pendingState} is the state an operation in progress leads to.
 */
public record Branch(
        String projectId,
        String branchId,
        String uid,
        Instant createTime,
        Instant updateTime,
        BranchState state,
        BranchState pendingState,
        Instant stateChangeTime,
        boolean isDefault,
        boolean isProtected,
        String sourceBranchId,
        String sourceBranchLsn,
        Instant sourceBranchTime,
        Instant expireTime,
        Instant deleteTime,
        Instant purgeTime,
        long logicalSizeBytes) implements Resource {

    public static String nameOf(String projectId, String branchId) {
        return Project.nameOf(projectId) + "/branches/" + branchId;
    }

    @Override
    public String name() {
        return nameOf(projectId, branchId);
    }

    @Override
    public String parentName() {
        return Project.nameOf(projectId);
    }

    public boolean deleted() {
        return deleteTime != null;
    }

    public boolean isRoot() {
        return sourceBranchId == null;
    }

    /** The point of the source branch this branch's data comes from (after a clone, a recovery or a reset). */
    public Branch withSourcePoint(String lsn, Instant time, Instant now) {
        return new Branch(projectId, branchId, uid, createTime, now, state, pendingState, stateChangeTime, isDefault, isProtected,
                sourceBranchId, lsn, time, expireTime, deleteTime, purgeTime, logicalSizeBytes);
    }

    public Branch withLogicalSize(long bytes) {
        return new Branch(projectId, branchId, uid, createTime, updateTime, state, pendingState, stateChangeTime, isDefault, isProtected,
                sourceBranchId, sourceBranchLsn, sourceBranchTime, expireTime, deleteTime, purgeTime, bytes);
    }

    /** The branch while an operation changes its data ({@code state}, e.g. RESETTING), then back to READY. */
    public Branch withPending(BranchState transientState, Instant now) {
        return new Branch(projectId, branchId, uid, createTime, now, transientState, BranchState.READY, now, isDefault, isProtected,
                sourceBranchId, sourceBranchLsn, sourceBranchTime, expireTime, deleteTime, purgeTime, logicalSizeBytes);
    }

    public Branch withState(BranchState newState, Instant now) {
        return new Branch(projectId, branchId, uid, createTime, now, newState, null, now, isDefault, isProtected,
                sourceBranchId, sourceBranchLsn, sourceBranchTime, expireTime, deleteTime, purgeTime, logicalSizeBytes);
    }
}
