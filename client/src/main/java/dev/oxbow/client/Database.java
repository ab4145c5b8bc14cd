package dev.oxbow.client;

import java.time.Instant;

/** A Postgres database on a branch (api.md §4.5); {@code role} is the owner role's resource name. */
public record Database(String name, String databaseId, String parent, Instant createTime, Instant updateTime, Spec spec, Status status) {

    public static Database of(Spec spec) {
        return new Database(null, null, null, null, null, spec, null);
    }

    public record Spec(String postgresDatabase, String role) {}

    public record Status(String databaseId, String postgresDatabase, String role) {}
}
