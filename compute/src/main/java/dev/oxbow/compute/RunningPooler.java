package dev.oxbow.compute;

import java.nio.file.Path;

/** An endpoint's PgBouncer accepting connections on {@code socketDir}/.s.PGSQL.5432 (transaction pooling). */
public record RunningPooler(String endpointUid, long pid, Path socketDir, String version) {
}
