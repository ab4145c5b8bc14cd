package dev.oxbow.compute;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * Processes seen through /proc: liveness, command lines, signals. A process whose parent is gone is
 * re-parented to init, which may leave it a zombie for a while, so "running" means "not a zombie".
 */
final class OsProcesses {
    private OsProcesses() {}

    /** True while the process exists and has not exited (zombies count as exited). */
    static boolean isRunning(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            // the state follows the parenthesised command name, which may itself contain ") "
            int close = stat.lastIndexOf(')');
            char state = stat.charAt(close + 2);
            return state != 'Z' && state != 'X';
        } catch (IOException | RuntimeException gone) {
            return false;
        }
    }

    /** The command line with NULs as spaces, or "" if the process is gone or unreadable. */
    static String commandLine(long pid) {
        try {
            byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
            return new String(raw, StandardCharsets.UTF_8).replace('\0', ' ').trim();
        } catch (IOException e) {
            return "";
        }
    }

    /**
     * True if the process runs the postgres executable (a postmaster or one of its backends). Judged by
     * /proc/pid/exe, so an editor open on postgresql.conf does not qualify; by the command line only when
     * the executable link is unreadable (another user's process and we are not root).
     */
    static boolean isPostgres(long pid) {
        try {
            String exe = Files.readSymbolicLink(Path.of("/proc", Long.toString(pid), "exe")).toString();
            if (exe.endsWith(" (deleted)")) { // binaries replaced by a newer Oxbow while the server ran
                exe = exe.substring(0, exe.length() - " (deleted)".length());
            }
            return Path.of(exe).getFileName().toString().equals("postgres");
        } catch (IOException | UnsupportedOperationException unreadable) {
            String cmd = commandLine(pid);
            String first = cmd.split(" ", 2)[0];
            return first.equals("postgres") || first.endsWith("/postgres") || cmd.startsWith("postgres: ");
        }
    }

    /** The process's working directory, or null if it is gone or belongs to another user (and we are not root). */
    static Path workingDirectory(long pid) {
        try {
            return Files.readSymbolicLink(Path.of("/proc", Long.toString(pid), "cwd"));
        } catch (IOException | UnsupportedOperationException e) {
            return null;
        }
    }

    /**
     * Pids of running processes whose working directory is {@code dir}. Postgres chdirs into its data
     * directory, so these are a cluster's postmaster and backends (even those a killed postmaster left).
     * Processes of other users are invisible unless we are root.
     */
    static List<Long> withWorkingDirectory(Path dir) {
        Path real;
        try {
            real = dir.toRealPath();
        } catch (IOException e) {
            return List.of();
        }
        List<Long> pids = new ArrayList<>();
        try (DirectoryStream<Path> proc = Files.newDirectoryStream(Path.of("/proc"), p -> isNumeric(p.getFileName().toString()))) {
            for (Path p : proc) {
                try {
                    if (Files.readSymbolicLink(p.resolve("cwd")).equals(real)) {
                        long pid = Long.parseLong(p.getFileName().toString());
                        if (isRunning(pid)) {
                            pids.add(pid);
                        }
                    }
                } catch (IOException | UnsupportedOperationException notOurs) {
                    // exited meanwhile, or another user's process
                }
            }
        } catch (IOException e) {
            return List.of();
        }
        return pids;
    }

    /** Sends {@code signal} (INT, QUIT, KILL, ...) with kill(1); false if the process was already gone. */
    static boolean signal(long pid, String signal) {
        try {
            Process p = new ProcessBuilder("kill", "-s", signal, Long.toString(pid)).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Polls {@code done} every few milliseconds until it holds or {@code max} passes; returns its last value. */
    static boolean await(BooleanSupplier done, Duration max) {
        long deadline = System.nanoTime() + max.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return done.getAsBoolean();
            }
        }
        return true;
    }

    private static boolean isNumeric(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (!Character.isDigit(s.charAt(i))) {
                return false;
            }
        }
        return true;
    }
}
