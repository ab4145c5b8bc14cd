package dev.oxbow.compute;

import java.nio.file.Path;
import java.util.Optional;

/**
 * The seam "run this data directory as a Postgres server": local child processes today,
 * Kubernetes pods later. Implementations supervise what they start: a crashed server is
 * restarted at once, and after repeated crashes the listener hears that the compute is degraded.
 */
public interface ComputeRuntime extends AutoCloseable {

    /**
     * Creates a new cluster in {@code dataDir} (must not exist or be empty) with {@code superuser} as bootstrap
     * superuser, owned by {@code tenant}'s OS identity.
     */
    void initdb(String tenant, int pgVersion, Path dataDir, String superuser) throws ComputeException;

    /**
     * Creates a cluster in {@code dataDir} as a copy of the template kept under {@code name} by {@link #keepTemplate}
     * (for {@code pgVersion} and {@code superuser}), owned by {@code tenant}'s OS identity. Returns the template's
     * directory, whose files never change afterwards (a snapshot may share them by hard links), or empty when no such
     * template is kept (nothing was created then).
     */
    default Optional<Path> copyTemplate(String tenant, int pgVersion, String superuser, String name, Path dataDir) throws ComputeException {
        return Optional.empty();
    }

    /** Keeps a copy of the cleanly stopped cluster in {@code dataDir} as the template {@code name}, unless one is kept already. */
    default void keepTemplate(int pgVersion, String superuser, String name, Path dataDir) {}

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

    /** Sets the endpoint's memory and CPU limits; may be called before start and changes a running server live. */
    default void resize(String endpointUid, long memoryBytes, double cpus) throws ComputeException {}

    /** CPU time and memory the endpoint's server uses, where the runtime can measure it. */
    default Optional<Cgroups.Usage> usage(String endpointUid) { return Optional.empty(); }

    /** The limits in force, where the runtime enforces them. */
    default Optional<Cgroups.Limits> limits(String endpointUid) { return Optional.empty(); }

    /** How sizes are enforced: e.g. "cgroup-v1", "cgroup-v2", or "advisory". */
    default String resourceControl() { return "advisory"; }

    /** Applies changed reloadable settings to a running server without restarting it. */
    default void reload(ComputeSpec spec) throws ComputeException {}

    /** The endpoint's connection pooler (PgBouncer, transaction mode) if one accepts connections now. */
    default Optional<RunningPooler> pooler(String endpointUid) { return Optional.empty(); }

    /**
     * The endpoint's pooler, waiting up to {@code max} while it is being (re)started; empty when the runtime runs no
     * pooler for this endpoint (no PgBouncer installed, or it failed).
     */
    default Optional<RunningPooler> awaitPooler(String endpointUid, java.time.Duration max) throws InterruptedException {
        return pooler(endpointUid);
    }

    /** Why this runtime runs no poolers (e.g. no PgBouncer found), or empty when it does. */
    default Optional<String> poolerUnavailable() { return Optional.of("this compute runtime runs no connection poolers"); }

    /** Stops every server this runtime started. */
    @Override
    void close();
}
