package dev.oxbow.compute;

import java.nio.file.Path;
import java.util.Optional;

/**
 * The seam "run this data directory as a Postgres server": local child processes today,
 * Kubernetes pods later. Implementations supervise what they start: a crashed server is
 * restarted at once, and after repeated crashes the listener hears that the compute is degraded.
 */
public interface ComputeRuntime extends AutoCloseable {

    /** Creates a new cluster in {@code dataDir} (must not exist or be empty) with {@code superuser} as bootstrap superuser. */
    void initdb(int pgVersion, Path dataDir, String superuser) throws ComputeException;

    /**
     * Starts a server for the spec and returns once it accepts connections on its socket.
     * If a server left over from an earlier Oxbow process still runs on this data directory, it is stopped first.
     */
    RunningCompute start(ComputeSpec spec) throws ComputeException;

    /** Fast shutdown (SIGINT), waits for exit; no-op if not running. */
    void stop(String endpointUid) throws ComputeException;

    Optional<RunningCompute> find(String endpointUid);

    /** Stops a postgres that an earlier, killed Oxbow left running on this data directory (from postmaster.pid). */
    void stopOrphan(Path dataDir) throws ComputeException;

    void setListener(ComputeListener listener);

    /** Stops every server this runtime started. */
    @Override
    void close();
}
