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
        long logicalSizeBytes,
        boolean masked,
        String maskedLsn,
        Instant maskedTime) implements Resource {

    /** A branch without masking (the shape before masked branches existed). */
    public Branch(String projectId, String branchId, String uid, Instant createTime, Instant updateTime, BranchState state,
                  BranchState pendingState, Instant stateChangeTime, boolean isDefault, boolean isProtected, String sourceBranchId,
                  String sourceBranchLsn, Instant sourceBranchTime, Instant expireTime, Instant deleteTime, Instant purgeTime,
                  long logicalSizeBytes) {
        this(projectId, branchId, uid, createTime, updateTime, state, pendingState, stateChangeTime, isDefault, isProtected,
                sourceBranchId, sourceBranchLsn, sourceBranchTime, expireTime, deleteTime, purgeTime, logicalSizeBytes, false, null, null);
    }

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

    /**
     * A masked branch whose masking has completed: {@code maskedLsn}/{@code maskedTime} is the first point of its
     * history that holds masked data (for a child of a masked branch, its parent's), and nothing before it is
     * reachable from this branch.
     */
    public boolean maskingDone() {
        return masked && maskedLsn != null;
    }

    /** The branch once its data is masked from {@code lsn}/{@code time} on. */
    public Branch withMaskedFrom(String lsn, Instant time, Instant now) {
        return toBuilder().updateTime(now).masked(true).maskedLsn(lsn).maskedTime(time).build();
    }

    public boolean isRoot() {
        return sourceBranchId == null;
    }

    /** The point of the source branch this branch's data comes from (after a clone, a recovery or a reset). */
    public Branch withSourcePoint(String lsn, Instant time, Instant now) {
        return toBuilder().updateTime(now).sourceBranchLsn(lsn).sourceBranchTime(time).build();
    }

    public Branch withLogicalSize(long bytes) {
        return toBuilder().logicalSizeBytes(bytes).build();
    }

    /** The branch while an operation changes its data ({@code state}, e.g. RESETTING), then back to READY. */
    public Branch withPending(BranchState transientState, Instant now) {
        return toBuilder().updateTime(now).state(transientState).pendingState(BranchState.READY).stateChangeTime(now).build();
    }

    public Branch withState(BranchState newState, Instant now) {
        return toBuilder().updateTime(now).state(newState).pendingState(null).stateChangeTime(now).build();
    }

    /** A new branch, INIT on its way to READY, created {@code now}: not default, not protected, a root until given a source. */
    public static Builder newBranch(String projectId, String branchId, String uid, Instant now) {
        return new Builder().projectId(projectId).branchId(branchId).uid(uid).createTime(now).updateTime(now)
                .state(BranchState.INIT).pendingState(BranchState.READY).stateChangeTime(now);
    }

    /** This branch as a builder, so a change names the fields it sets. */
    public Builder toBuilder() {
        return new Builder()
                .projectId(projectId).branchId(branchId).uid(uid).createTime(createTime)
                .updateTime(updateTime).state(state).pendingState(pendingState).stateChangeTime(stateChangeTime)
                .isDefault(isDefault).isProtected(isProtected).sourceBranchId(sourceBranchId).sourceBranchLsn(sourceBranchLsn)
                .sourceBranchTime(sourceBranchTime).expireTime(expireTime).deleteTime(deleteTime).purgeTime(purgeTime)
                .logicalSizeBytes(logicalSizeBytes).masked(masked).maskedLsn(maskedLsn).maskedTime(maskedTime);
    }

    /** Builds a {@link Branch} field by field. */
    public static final class Builder {
        private String projectId;
        private String branchId;
        private String uid;
        private Instant createTime;
        private Instant updateTime;
        private BranchState state;
        private BranchState pendingState;
        private Instant stateChangeTime;
        private boolean isDefault;
        private boolean isProtected;
        private String sourceBranchId;
        private String sourceBranchLsn;
        private Instant sourceBranchTime;
        private Instant expireTime;
        private Instant deleteTime;
        private Instant purgeTime;
        private long logicalSizeBytes;
        private boolean masked;
        private String maskedLsn;
        private Instant maskedTime;

        private Builder() {}

        public Builder projectId(String projectId) {
            this.projectId = projectId;
            return this;
        }

        public Builder branchId(String branchId) {
            this.branchId = branchId;
            return this;
        }

        public Builder uid(String uid) {
            this.uid = uid;
            return this;
        }

        public Builder createTime(Instant createTime) {
            this.createTime = createTime;
            return this;
        }

        public Builder updateTime(Instant updateTime) {
            this.updateTime = updateTime;
            return this;
        }

        public Builder state(BranchState state) {
            this.state = state;
            return this;
        }

        public Builder pendingState(BranchState pendingState) {
            this.pendingState = pendingState;
            return this;
        }

        public Builder stateChangeTime(Instant stateChangeTime) {
            this.stateChangeTime = stateChangeTime;
            return this;
        }

        public Builder isDefault(boolean isDefault) {
            this.isDefault = isDefault;
            return this;
        }

        public Builder isProtected(boolean isProtected) {
            this.isProtected = isProtected;
            return this;
        }

        public Builder sourceBranchId(String sourceBranchId) {
            this.sourceBranchId = sourceBranchId;
            return this;
        }

        public Builder sourceBranchLsn(String sourceBranchLsn) {
            this.sourceBranchLsn = sourceBranchLsn;
            return this;
        }

        public Builder sourceBranchTime(Instant sourceBranchTime) {
            this.sourceBranchTime = sourceBranchTime;
            return this;
        }

        public Builder expireTime(Instant expireTime) {
            this.expireTime = expireTime;
            return this;
        }

        public Builder deleteTime(Instant deleteTime) {
            this.deleteTime = deleteTime;
            return this;
        }

        public Builder purgeTime(Instant purgeTime) {
            this.purgeTime = purgeTime;
            return this;
        }

        public Builder logicalSizeBytes(long logicalSizeBytes) {
            this.logicalSizeBytes = logicalSizeBytes;
            return this;
        }

        public Builder masked(boolean masked) {
            this.masked = masked;
            return this;
        }

        public Builder maskedLsn(String maskedLsn) {
            this.maskedLsn = maskedLsn;
            return this;
        }

        public Builder maskedTime(Instant maskedTime) {
            this.maskedTime = maskedTime;
            return this;
        }

        public Branch build() {
            return new Branch(projectId, branchId, uid, createTime, updateTime, state, pendingState, stateChangeTime,
                    isDefault, isProtected, sourceBranchId, sourceBranchLsn, sourceBranchTime, expireTime, deleteTime,
                    purgeTime, logicalSizeBytes, masked, maskedLsn, maskedTime);
        }
    }
}
