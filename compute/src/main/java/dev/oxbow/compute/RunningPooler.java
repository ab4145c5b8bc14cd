package dev.oxbow.compute;

import java.nio.file.Path;

/** An endpoint's PgBouncer accepting connections on {@code socketDir}/.s.PGSQL.5432 (transaction pooling). */
public record RunningPooler(String endpointUid, long pid, Path socketDir, String version) {
    /**
     * The role PgBouncer asks the compute as whether a role exists (auth_query on pg_roles): LOGIN, nothing else.
     * Reserved: no tenant role may take the name.
     */
    public static final String ROLE = "oxbow_pooler";
}
