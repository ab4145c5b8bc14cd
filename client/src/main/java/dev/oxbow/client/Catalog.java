package dev.oxbow.client;

import java.time.Instant;

/** A catalog ({@code catalogs/{catalog_id}}): a name for one branch's Postgres database, used by synced tables. */
public record Catalog(String name, String catalogId, String uid, Instant createTime, Instant updateTime, Spec spec, Status status) {

    public static Catalog of(Spec spec) {
        return new Catalog(null, null, null, null, null, spec, null);
    }

    /** {@code branch} is a full branch name; {@code createDatabaseIfMissing} creates the database first. */
    public record Spec(String branch, String postgresDatabase, Boolean createDatabaseIfMissing) {}

    public record Status(String project, String branch, String postgresDatabase) {}
}
