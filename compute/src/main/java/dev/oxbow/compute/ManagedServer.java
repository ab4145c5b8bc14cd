package dev.oxbow.compute;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * One endpoint's supervised server across restarts: the current postgres process, whether it accepts
 * connections, and whether Oxbow is stopping it (so its exit is not taken for a crash).
 */
final class ManagedServer extends SupervisedProcess<RunningCompute> {
    /** The data directory's real path, the key of the runtime's one-server-per-directory claim. */
    final Path dataDir;

    ManagedServer(ComputeSpec spec, Path dataDir, RestartPolicy policy) {
        super(spec, new CrashHistory(policy));
        this.dataDir = dataDir;
    }

    /** Waits while a restart is under way; empty if the server was stopped or given up. */
    Optional<RunningCompute> awaitRunning(Duration max) throws InterruptedException {
        return awaitRunning(max, false);
    }
}
