package dev.oxbow.compute;

import java.time.Duration;
import java.util.Optional;

/**
 * A supervised child process across restarts (a compute's postgres, its PgBouncer): the current process, what it
 * serves once ready ({@code R}), and whether Oxbow is stopping it (so its exit is not taken for a crash) or gave up
 * restarting it. All state changes happen under this object's monitor and wake its waiters.
 */
class SupervisedProcess<R> {
    final ComputeSpec spec;
    final CrashHistory crashes;

    private Process process;
    private R running;
    private boolean stopping;
    private boolean givenUp;
    private int restartsInFlight;

    SupervisedProcess(ComputeSpec spec, CrashHistory crashes) {
        this.spec = spec;
        this.crashes = crashes;
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

    synchronized void ready(R serving) {
        running = serving;
        notifyAll();
    }

    /** True if {@code exited} is the current process and no stop began: its exit is a crash. */
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

    /** Marks the process as stopping and returns it (possibly already exited, or null if none was launched). */
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

    /** What the process serves, if it is ready and alive now. */
    synchronized Optional<R> current() {
        return running != null && process != null && process.isAlive() ? Optional.of(running) : Optional.empty();
    }

    /**
     * Waits while a start or restart is under way; empty if the process was stopped or given up. With
     * {@code throughUnseenExit} it also waits (polling, as no one notifies) while a ready process has exited but the
     * exit was not handled yet.
     */
    synchronized Optional<R> awaitRunning(Duration max, boolean throughUnseenExit) throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        while ((running == null || (throughUnseenExit && !process.isAlive())) && !stopping && !givenUp) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                break;
            }
            long millis = Math.max(1, left / 1_000_000);
            wait(throughUnseenExit ? Math.min(50, millis) : millis);
        }
        return current();
    }
}
