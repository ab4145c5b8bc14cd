package dev.oxbow.metadata;

import java.time.Instant;

/** A Postgres database on a branch, owned by the role {@code ownerRoleId} of the same branch. */
public record Database(
        String projectId,
        String branchId,
        String databaseId,
        Instant createTime,
        Instant updateTime,
        String postgresDatabase,
        String ownerRoleId) implements Resource {

    public static String nameOf(String projectId, String branchId, String databaseId) {
        return Branch.nameOf(projectId, branchId) + "/databases/" + databaseId;
    }

    @Override
    public String name() {
        return nameOf(projectId, branchId, databaseId);
    }

    @Override
    public String parentName() {
        return Branch.nameOf(projectId, branchId);
    }

    public Database onBranch(String newBranchId, Instant now) {
        return new Database(projectId, newBranchId, databaseId, now, now, postgresDatabase, ownerRoleId);
    }
}
