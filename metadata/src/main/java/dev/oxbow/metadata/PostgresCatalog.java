package dev.oxbow.metadata;

import java.time.Instant;

/**
 * A catalog ({@code catalogs/<id>}) naming one branch's Postgres database, so synced tables can target
 * {@code <catalog>.<schema>.<table>} without repeating the branch and database. Stored under its branch, so a
 * deleted branch takes its catalogs with it.
 */
public record PostgresCatalog(
        String catalogId,
        String uid,
        Instant createTime,
        Instant updateTime,
        String projectId,
        String branchId,
        String postgresDatabase,
        boolean createDatabaseIfMissing) implements Resource {

    public static String nameOf(String catalogId) {
        return "catalogs/" + catalogId;
    }

    @Override
    public String name() {
        return nameOf(catalogId);
    }

    @Override
    public String parentName() {
        return branchName();
    }

    public String branchName() {
        return Branch.nameOf(projectId, branchId);
    }
}
