package dev.oxbow.compute;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Small queries about OS users and the tools that manage them. */
final class OsUsers {
    private OsUsers() {}

    static int effectiveUid() throws ComputeException {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return Integer.parseInt(line.substring(4).trim().split("\\s+")[1]);
                }
            }
        } catch (IOException | RuntimeException e) {
            throw new ComputeException("cannot read the effective uid from /proc/self/status", e);
        }
        throw new ComputeException("no Uid line in /proc/self/status");
    }

    /** The name of the effective user (not {@code user.name}, which the environment may set). */
    static String currentUserName() throws ComputeException {
        try {
            return run("id", "-un");
        } catch (IOException e) {
            return System.getProperty("user.name");
        }
    }

    static String setpriv() {
        return find("setpriv");
    }

    /** The absolute path of a system tool, or null. */
    static String find(String tool) {
        for (String dir : List.of("/usr/bin", "/bin", "/usr/sbin", "/sbin", "/usr/local/bin", "/usr/local/sbin")) {
            Path candidate = Path.of(dir, tool);
            if (Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        return null;
    }

    /** Runs a command and returns its trimmed output; a non-zero exit is an IOException naming the exit code. */
    static String run(String... command) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        try {
            int exit = p.waitFor();
            if (exit != 0) {
                throw new ExitCode(String.join(" ", command) + " failed (exit code " + exit + "): " + out, exit);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        return out;
    }

    /** A command that ran and failed. */
    static final class ExitCode extends IOException {
        final int code;

        ExitCode(String message, int code) {
            super(message);
            this.code = code;
        }
    }
}
