package dev.oxbow.compute;

import java.io.IOException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Starts every postgres/initdb from one long-lived platform thread. PR_SET_PDEATHSIG (setpriv
 * --pdeathsig) fires when the <em>thread</em> that forked the child exits, not the process, so forking
 * from short-lived or pooled threads (virtual thread carriers included) would shut servers down at random.
 */
final class ProcessLauncher implements AutoCloseable {
    private final ExecutorService thread =
            Executors.newSingleThreadExecutor(Thread.ofPlatform().name("oxbow-pg-launcher").daemon().factory());

    Process start(ProcessBuilder builder) throws IOException {
        // submit() keeps any Throwable inside the Future, so the launcher thread itself never dies
        Future<Process> started = thread.submit(builder::start);
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return started.get();
                } catch (InterruptedException e) {
                    // the process may already exist: wait for it rather than leak it
                    interrupted = true;
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof IOException io) {
                        throw io;
                    }
                    throw new IOException("cannot start " + builder.command().get(0), e.getCause());
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Only after every child is stopped: children still running would get the parent-death signal. */
    @Override
    public void close() {
        thread.shutdown();
    }
}
