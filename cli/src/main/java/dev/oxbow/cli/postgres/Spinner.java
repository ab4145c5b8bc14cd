package dev.oxbow.cli.postgres;

import java.io.PrintWriter;

/**
 * "⠋ Creating project… 3s" on stderr while waiting, redrawn a few times a second; only when stderr is a terminal
 * ({@link dev.oxbow.cli.CliEnvironment#spinner()}), so scripts and pipes see clean output (stdout carries the JSON either way).
 */
final class Spinner implements AutoCloseable {
    private static final String FRAMES = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏";

    private final Thread thread;

    private Spinner(Thread thread) {
        this.thread = thread;
    }

    /** No spinner: stderr is not a terminal. */
    static Spinner none() {
        return new Spinner(null);
    }

    /** Draws on {@code err} until closed. */
    static Spinner start(String doing, PrintWriter err) {
        long started = System.nanoTime();
        Thread t = Thread.ofVirtual().name("spinner").start(() -> {
            int frame = 0;
            try {
                while (!Thread.currentThread().isInterrupted()) {
                    long secs = (System.nanoTime() - started) / 1_000_000_000L;
                    err.print("\r" + FRAMES.charAt(frame++ % FRAMES.length()) + " " + doing + "… " + secs + "s ");
                    err.flush();
                    Thread.sleep(120);
                }
            } catch (InterruptedException e) {
                // done waiting
            }
            err.print("\r\033[K");
            err.flush();
        });
        return new Spinner(t);
    }

    @Override
    public void close() {
        if (thread != null) {
            thread.interrupt();
            try {
                thread.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
