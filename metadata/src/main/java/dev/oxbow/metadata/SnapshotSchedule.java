package dev.oxbow.metadata;

import java.time.Instant;

/**
 * A root branch's snapshot schedule ({@code projects/p/branches/b/snapshot-schedule}). {@code frequency} is
 * NONE, DAILY, WEEKLY or MONTHLY; {@code nextSnapshotTime} is when the control plane takes the next one
 * (null when NONE), {@code lastSnapshotTime} when it last did.
 */
public record SnapshotSchedule(
        String projectId,
        String branchId,
        String frequency,
        Instant updateTime,
        Instant nextSnapshotTime,
        Instant lastSnapshotTime) implements Resource {

    public static final String SUFFIX = "/snapshot-schedule";

    public static String nameOf(String projectId, String branchId) {
        return Branch.nameOf(projectId, branchId) + SUFFIX;
    }

    @Override
    public String name() {
        return nameOf(projectId, branchId);
    }

    @Override
    public String parentName() {
        return Branch.nameOf(projectId, branchId);
    }

    public SnapshotSchedule ran(Instant at, Instant next) {
        return new SnapshotSchedule(projectId, branchId, frequency, updateTime, next, at);
    }
}
