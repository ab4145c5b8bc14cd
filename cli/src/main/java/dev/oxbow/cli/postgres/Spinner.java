package dev.oxbow.cli.postgres;

import java.io.PrintStream;

/**
 * "⠋ Creating project… 3s" on stderr while waiting, redrawn a few times a second; only when stderr is a terminal,
 * so scripts and pipes see clean output (stdout carries the JSON either way).
 */
final class Spinner implements AutoCloseable {
    private static final String FRAMES = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏";

    private final Thread thread;

    private Spinner(Thread thread) {
        this.thread = thread;
    }

    static Spinner start(String doing) {
        if (!interactive()) {
            return new Spinner(null);
        }
        PrintStream err = System.err;
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

    /** A terminal on both ends: System.console() is null when stdin/stdout are redirected; Java 22+ also says whether it is a real terminal. */
    private static boolean interactive() {
        var console = System.console();
        if (console == null || System.getenv("OXBOW_NO_SPINNER") != null) {
            return false;
        }
        try {
            return (Boolean) java.io.Console.class.getMethod("isTerminal").invoke(console);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return true;
        }
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
