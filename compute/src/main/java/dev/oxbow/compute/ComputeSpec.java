package dev.oxbow.compute;

import java.nio.file.Path;
import java.util.Map;

/**
 * What to run: one endpoint's server on a data directory, listening only on a unix socket in
 * {@code socketDir} (no TCP). {@code settings} are extra postgresql.conf settings. {@code tenant} (the
 * project's uid) decides which OS identity the server runs as ({@link ProcessIdentities}).
 */
public record ComputeSpec(String endpointUid, String tenant, int pgVersion, Path dataDir, Path socketDir, Map<String, String> settings) {
    public ComputeSpec {
        settings = Map.copyOf(settings);
        java.util.Objects.requireNonNull(tenant, "tenant");
    }

    /**
     * Where the server's stdout/stderr is appended: {@code <dataDir>/../log/postgres.log}. Outside the data
     * directory, so branch clones do not copy it and a reset or restore (which replaces the data directory)
     * keeps the history; deleting the branch directory removes it.
     */
    public Path logFile() {
        return dataDir.toAbsolutePath().normalize().resolveSibling("log").resolve("postgres.log");
    }

    /** The socket file clients connect to. */
    public Path socketFile() {
        return socketDir.resolve(PgConnections.SOCKET_FILE);
    }
}
