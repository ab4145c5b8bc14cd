package dev.oxbow.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Finds postgres servers by the data directories on their command lines (/proc), to catch orphans. Only
 * postmasters count: a child the postmaster has just forked shows the same command line until it sets
 * its own process title, so processes whose parent is a match are left out.
 */
final class Processes {
    private Processes() {}

    static List<Long> postgresUnder(Path home) throws IOException {
        String needle = home.toAbsolutePath().toString();
        List<Long> pids = new ArrayList<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.toList()) {
                String name = p.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                try {
                    String cmd = new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8).replace('\0', ' ');
                    if (cmd.contains("postgres") && cmd.contains(" -D ") && cmd.contains(needle) && !cmd.contains("java")) {
                        pids.add(Long.parseLong(name));
                    }
                } catch (IOException gone) {
                    // process exited while we looked
                }
            }
        }
        List<Long> postmasters = new ArrayList<>();
        for (long pid : pids) {
            if (!pids.contains(parentOf(pid))) {
                postmasters.add(pid);
            }
        }
        return postmasters;
    }

    private static long parentOf(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            // "pid (comm) state ppid ...": comm may hold spaces, so parse after the last ')'
            String[] rest = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(rest[1]);
        } catch (IOException | RuntimeException gone) {
            return -1;
        }
    }
}
