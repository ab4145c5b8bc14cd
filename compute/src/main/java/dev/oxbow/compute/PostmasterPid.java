package dev.oxbow.compute;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The lock file {@code postmaster.pid} a running server keeps in its data directory: line 1 is the
 * postmaster's pid, line 8 its status ("starting", "ready", "stopping", "standby"), as pg_ctl reads it.
 */
public record PostmasterPid(long pid, String status) {
    public static final String FILE = "postmaster.pid";

    /** The lock file's content, or empty if it is missing or not (yet) complete. */
    public static Optional<PostmasterPid> read(Path dataDir) {
        try {
            List<String> lines = Files.readAllLines(dataDir.resolve(FILE));
            if (lines.isEmpty()) {
                return Optional.empty();
            }
            long pid = Long.parseLong(lines.get(0).trim());
            String status = lines.size() >= 8 ? lines.get(7).trim() : "";
            return Optional.of(new PostmasterPid(pid, status));
        } catch (IOException | RuntimeException missingOrPartial) {
            return Optional.empty();
        }
    }

    /** The server accepts connections (pg_ctl's test: status "ready", or "standby" for a hot standby). */
    public boolean ready() {
        return status.equals("ready") || status.equals("standby");
    }
}
