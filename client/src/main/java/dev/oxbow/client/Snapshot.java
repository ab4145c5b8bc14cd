package dev.oxbow.client;

import java.time.Instant;

/**
 * A project snapshot ({@code projects/{p}/snapshots/{s}}, the Python SDK's preview surface): a named, retained point
 * of a root branch that outlives the history window. {@code spec.source_branch} names the branch it is taken of.
 */
public record Snapshot(String name, String snapshotId, String parent, String uid, Instant createTime, Instant updateTime,
                       Spec spec, Status status) {

    /** A request body for the snapshot of {@code sourceBranch} (a full branch name) at its head. */
    public static Snapshot of(String sourceBranch) {
        return new Snapshot(null, null, null, null, null, null, new Spec(sourceBranch), null);
    }

    public record Spec(String sourceBranch) {}

    public record Status(String snapshotId, String currentState, String sourceBranch, String sourceBranchLsn,
                         Instant sourceBranchTime, Boolean scheduled, Long sizeBytes) {}

    /** A branch's snapshot schedule ({@code branches/{b}/snapshot-schedule}); {@code frequency} DAILY, WEEKLY, MONTHLY or NONE. */
    public record Schedule(String name, String parent, Instant updateTime, ScheduleSpec spec, ScheduleStatus status) {
        public static Schedule of(String frequency) {
            return new Schedule(null, null, null, new ScheduleSpec(frequency), null);
        }
    }

    public record ScheduleSpec(String frequency) {}

    public record ScheduleStatus(String frequency, Instant nextSnapshotTime, Instant lastSnapshotTime) {}
}
