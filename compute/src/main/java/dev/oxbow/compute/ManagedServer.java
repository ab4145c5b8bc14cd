package dev.oxbow.compute;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * One endpoint's supervised server across restarts: the current postgres process, whether it accepts
 * connections, and whether Oxbow is stopping it (so its exit is not taken for a crash).
 */
final class ManagedServer {
    final ComputeSpec spec;
    /** The data directory's real path, the key of the runtime's one-server-per-directory claim. */
    final Path dataDir;
    final CrashHistory crashes;

    private Process process;
    private RunningCompute running;
    private boolean stopping;
    private boolean givenUp;
    private int restartsInFlight;

    ManagedServer(ComputeSpec spec, Path dataDir, RestartPolicy policy) {
        this.spec = spec;
        this.dataDir = dataDir;
        this.crashes = new CrashHistory(policy);
    }

    String endpointUid() {
        return spec.endpointUid();
    }

    /** Makes {@code p} the current process, unless a stop began meanwhile. */
    synchronized boolean adopt(Process p) {
        if (stopping) {
            return false;
        }
        process = p;
        running = null;
        return true;
    }

    synchronized void ready(RunningCompute compute) {
        running = compute;
        notifyAll();
    }

    /** True if {@code exited} is the process Oxbow is running and not stopping: its exit is a crash. */
    synchronized boolean crashed(Process exited) {
        if (stopping || process != exited) {
            return false;
        }
        running = null;
        return true;
    }

    synchronized boolean stopping() {
        return stopping;
    }

    /** Marks the server as stopping and returns the process to stop (possibly already exited). */
    synchronized Process beginStop() {
        stopping = true;
        running = null;
        notifyAll();
        return process;
    }

    synchronized void giveUp() {
        givenUp = true;
        notifyAll();
    }

    synchronized void restartBegins() {
        restartsInFlight++;
    }

    synchronized void restartEnds() {
        restartsInFlight--;
        notifyAll();
    }

    /** Waits until no restart is launching a process, so a stop cannot miss one. */
    synchronized void awaitNoRestart(Duration max) throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        while (restartsInFlight > 0) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return;
            }
            wait(Math.max(1, left / 1_000_000));
        }
    }

    /** The server if it accepts connections now. */
    synchronized Optional<RunningCompute> current() {
        return running != null && process != null && process.isAlive() ? Optional.of(running) : Optional.empty();
    }

    /** Waits while a restart is under way; empty if the server was stopped or given up. */
    synchronized Optional<RunningCompute> awaitRunning(Duration max) throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        while (running == null && !stopping && !givenUp) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                break;
            }
            wait(Math.max(1, left / 1_000_000));
        }
        return current();
    }
}
