package dev.oxbow.compute;

import java.nio.file.Path;

/** A server that accepts connections on {@code socketDir}/.s.PGSQL.5432. */
public record RunningCompute(String endpointUid, long pid, Path dataDir, Path socketDir, int pgVersion) {
}
