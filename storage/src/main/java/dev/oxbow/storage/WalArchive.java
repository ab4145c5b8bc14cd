package dev.oxbow.storage;

import dev.oxbow.compute.ComputeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A branch's continuous WAL archive: the directory {@code wal} beside its data directory, filled by the
 * server's own archiver. The command names the archive relative to the data directory (the archiver runs
 * there), so a branch directory can be renamed without rewriting it.
 */
public final class WalArchive {
    private static final Logger log = LoggerFactory.getLogger(WalArchive.class);
    public static final String DIR = "wal";
    private static final Pattern SEGMENT = Pattern.compile("[0-9A-F]{24}(\\.partial)?(\\.zst)?");
    /** Archived WAL is compressed with zstd when the host has it (WAL full of page images shrinks several-fold). */
    private static final Optional<Path> ZSTD = findOnPath("zstd");

    private WalArchive() {}

    /**
     * Server settings that archive every completed segment. The copy goes through a temporary name so
     * the archive never holds a torn segment; reflinks share blocks with pg_wal where the filesystem can.
     */
    public static Map<String, String> settings(Duration archiveTimeout) {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("archive_mode", "on");
        String dir = "../" + DIR + "/%f";
        s.put("archive_command", ZSTD
                .map(z -> z + " -q -1 -f %p -o " + dir + ".zst.part && mv -f " + dir + ".zst.part " + dir + ".zst")
                .orElse("cp --reflink=auto %p " + dir + ".part && mv -f " + dir + ".part " + dir));
        s.put("archive_timeout", archiveTimeout.toSeconds() + "s");
        return s;
    }

    /**
     * Defaults (Oxbow's; a project cannot change wal_* settings) that suit copy-on-write storage and an archive: the archive
     * holds the history, so pg_wal need not keep recycled segments, and zero-filling new ones only
     * writes blocks twice (PostgreSQL's own advice for copy-on-write filesystems).
     */
    public static Map<String, String> storageDefaults() {
        return Map.of("wal_recycle", "off", "wal_init_zero", "off");
    }

    /** Recovery reads segments from {@code archiveDir} (the source branch's archive), compressed or not; run in the data directory. */
    public static String restoreCommand(Path archiveDir) {
        String dir = archiveDir.toAbsolutePath().toString();
        if (dir.contains("'")) {
            throw new IllegalArgumentException("archive directory must not contain a quote: " + dir);
        }
        String plain = "cp '" + dir + "/%f' '%p'";
        // compressed segments are decompressed ahead of the replay (WalPrefetch); plain ones cost one cp each
        return ZSTD.map(z -> WalPrefetch.restoreCommand(dir, z.toString())).orElse(plain);
    }

    /** True once {@code segment} is in the archive (compressed or not). */
    static boolean archived(Path archiveDir, String segment) {
        return Files.exists(archiveDir.resolve(segment)) || Files.exists(archiveDir.resolve(segment + ".zst"));
    }

    private static Optional<Path> findOnPath(String program) {
        String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
        for (String dir : (path + ":/usr/bin:/bin").split(":")) {
            if (dir.isEmpty() || dir.contains("'") || dir.contains(" ")) {
                continue;
            }
            Path candidate = Path.of(dir, program);
            if (Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /**
     * Makes the archive hold every WAL record written so far: commits an empty transaction (so recovery
     * to any earlier time finds a commit past it and stops), switches to a new segment and waits until the
     * archiver has copied the finished one into {@code archiveDir}. Returns the WAL position reached.
     */
    public static String flush(Connection c, Path archiveDir, Duration timeout) throws SQLException, ComputeException {
        try (Statement st = c.createStatement()) {
            st.execute("SELECT pg_current_xact_id()");
        }
        String lsn;
        String segment;
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT s::text, pg_walfile_name(s - 1) FROM pg_switch_wal() s")) {
            rs.next();
            lsn = rs.getString(1);
            segment = rs.getString(2);
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!archived(archiveDir, segment)) {
            if (System.nanoTime() > deadline) {
                String failed = lastFailure(c);
                throw new ComputeException("WAL segment " + segment + " did not reach the archive " + archiveDir + " within "
                        + timeout.toSeconds() + " s" + (failed == null ? "" : "; the archiver last failed on " + failed));
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ComputeException("interrupted while waiting for the WAL archive", e);
            }
        }
        return lsn;
    }

    /**
     * Removes segments older than {@code keepFrom} (by position, on any timeline) and leftovers of
     * interrupted copies; timeline history files stay (they are tiny and recovery needs them).
     */
    public static long prune(Path archiveDir, String keepFrom) throws IOException {
        if (!Files.isDirectory(archiveDir)) {
            return 0;
        }
        String keepPosition = keepFrom.substring(8, 24);
        long freed = 0;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(archiveDir)) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                boolean stale = name.endsWith(".part")
                        || SEGMENT.matcher(name).matches() && name.substring(8, 24).compareTo(keepPosition) < 0;
                if (stale) {
                    freed += Files.size(f);
                    Files.deleteIfExists(f);
                }
            }
        }
        if (freed > 0) {
            log.info("wal archive pruned dir={} keep_from={} freed_bytes={}", archiveDir, keepFrom, freed);
        }
        return freed;
    }

    private static String lastFailure(Connection c) {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT last_failed_wal FROM pg_stat_archiver")) {
            return rs.next() ? rs.getString(1) : null;
        } catch (SQLException e) {
            return null;
        }
    }
}
