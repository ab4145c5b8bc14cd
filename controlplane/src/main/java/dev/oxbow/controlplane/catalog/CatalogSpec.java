package dev.oxbow.controlplane.catalog;

/** A catalog's {@code spec}: the branch (full name) and Postgres database it names, and whether to create the database. */
public record CatalogSpec(String branch, String postgresDatabase, Boolean createDatabaseIfMissing) {
}
