package dev.oxbow.controlplane.resource;

/**
 * Product limits from the Lakebase reference, configurable (later Lakebase versions raised some of them,
 * and a laptop may want fewer computes).
 */
public record Limits(
        double maxAutoscaleCu,
        double maxSpreadCu,
        int branchesPerProject,
        int protectedBranchesPerProject,
        int activeComputesPerProject,
        int rolesPerBranch,
        int databasesPerBranch,
        long maxBranchTtlSeconds,
        long minSuspendSeconds,
        long maxSuspendSeconds,
        long minRetentionSeconds,
        long maxRetentionSeconds,
        int projects) {

    public static Limits defaults() {
        return new Limits(32, 8, 500, 1, 20, 500, 500, 30L * 86400, 60, 7L * 86400, 2L * 86400, 35L * 86400, 1000);
    }
}
