package dev.oxbow.storage;

import dev.oxbow.compute.Lsn;

import dev.oxbow.compute.ComputeException;
import dev.oxbow.compute.ProcessIdentity;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A data directory as of a past point: a snapshot's files plus a recovery configuration that replays the
 * source's WAL archive up to the target and then promotes (a new timeline, writable). The caller starts
 * a server on it with {@link #settings} and waits until recovery has ended.
 */
public final class PointInTimeRecovery {
    private static final DateTimeFormatter PG_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSSxxx").withZone(ZoneOffset.UTC);
    private static final Pattern HISTORY = Pattern.compile("[0-9A-F]{8}\\.history");

    private final BranchCloner cloner;

    public PointInTimeRecovery(BranchCloner cloner) {
        this.cloner = cloner;
    }

    /** A recovery target: exactly one of an LSN and a time. */
    public record Target(String lsn, Instant time) {
        public Target {
            if ((lsn == null) == (time == null)) {
                throw new IllegalArgumentException("a recovery target is one of an LSN and a time");
            }
        }

        @Override
        public String toString() {
            return lsn != null ? "lsn " + lsn : "time " + time;
        }
    }

    /** Copies the snapshot into {@code targetDataDir} (reflinked where possible) and asks for archive recovery. */
    public void prepare(ProcessIdentity owner, Snapshot snapshot, Path targetDataDir) throws IOException, ComputeException {
        cloner.cloneStopped(owner, snapshot.pgdata(), targetDataDir);
        WalPrefetch.clear(targetDataDir); // only this recovery's own staged notes may be trusted
        owner.writeFile(targetDataDir.resolve("recovery.signal"), "");
    }

    /**
     * Settings for the recovery run. Hot standby stays off: the server accepts connections only once it
     * has promoted, and its connection settings need not match the source's.
     */
    public static Map<String, String> settings(Path sourceArchive, Target target) {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("restore_command", WalArchive.restoreCommand(sourceArchive));
        if (target.lsn() != null) {
            s.put("recovery_target_lsn", target.lsn());
        } else {
            s.put("recovery_target_time", PG_TIME.format(target.time()));
        }
        s.put("recovery_target_inclusive", "on");
        s.put("recovery_target_timeline", "latest");
        s.put("recovery_target_action", "promote");
        s.put("hot_standby", "off");
        return s;
    }

    /**
     * Settings for a read-only look at the target: a hot standby that replays up to it and pauses there, never
     * promoting. Postgres itself refuses every write while it is in recovery (no SET can turn that off), and only a
     * superuser could resume it.
     */
    public static Map<String, String> pausedSettings(Path sourceArchive, Target target) {
        Map<String, String> s = settings(sourceArchive, target);
        s.put("recovery_target_action", "pause");
        s.put("hot_standby", "on");
        return s;
    }

    /**
     * Settings for a recovery that replays all the WAL the archive holds and then promotes (a disaster
     * recovery: the newest state the archive can reach).
     */
    public static Map<String, String> settingsToEnd(Path sourceArchive) {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("restore_command", WalArchive.restoreCommand(sourceArchive));
        s.put("recovery_target_timeline", "latest");
        s.put("hot_standby", "off");
        return s;
    }

    /** Where the promoted cluster's new timeline branched off: the last line of its newest history file. */
    public static Optional<String> switchPoint(Path dataDir) throws IOException {
        Path newest = null;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dataDir.resolve("pg_wal"))) {
            for (Path f : files) {
                if (HISTORY.matcher(f.getFileName().toString()).matches()
                        && (newest == null || f.getFileName().toString().compareTo(newest.getFileName().toString()) > 0)) {
                    newest = f;
                }
            }
        }
        if (newest == null) {
            return Optional.empty();
        }
        List<String> lines = Files.readAllLines(newest).stream().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        if (lines.isEmpty()) {
            return Optional.empty();
        }
        String[] parts = lines.get(lines.size() - 1).split("\\s+");
        return parts.length >= 2 && Lsn.valid(parts[1]) ? Optional.of(parts[1]) : Optional.empty();
    }
}
