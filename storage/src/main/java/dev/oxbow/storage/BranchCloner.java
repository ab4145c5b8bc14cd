package dev.oxbow.storage;

import dev.oxbow.compute.PgConnections;
import dev.oxbow.compute.ProcessIdentity;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Comparator;
import java.util.Set;

/**
 * Consistent copies of a branch's data directory, taken while its server keeps serving: an online base
 * backup ({@code pg_backup_start}/{@code pg_backup_stop}) plus a file copy, finished by the WAL written
 * meanwhile and the backup label, so the copy recovers to a consistent state on first start.
 */
public final class BranchCloner {
    private static final Logger log = LoggerFactory.getLogger(BranchCloner.class);
    /** Runtime state a copy must not carry: it belongs to the running server, not to its data. */
    private static final Set<String> SKIP_TOP = Set.of("postmaster.pid", "postmaster.opts", "backup_label", "tablespace_map",
            "backup_label.old");
    private static final Set<String> EMPTY_DIRS = Set.of("pg_wal", "pg_replslot", "pg_stat_tmp", "pg_dynshmem", "pg_notify",
            "pg_serial", "pg_snapshots", "pg_subtrans");

    private final ProcessIdentity identity;

    public BranchCloner(ProcessIdentity identity) {
        this.identity = identity;
    }

    /** How file data is copied (a later version adds reflink and btrfs snapshots). */
    public String strategyName() {
        return "copy";
    }

    /**
     * Copies the running cluster at {@code source} into {@code target} and returns the LSN the copy is
     * consistent at: it holds every transaction committed before this method returned.
     */
    public String cloneRunning(Path socketDir, String superuser, Path source, Path target) throws IOException, SQLException {
        try (Connection c = PgConnections.open(socketDir, "postgres", superuser); Statement st = c.createStatement()) {
            st.execute("SELECT pg_backup_start('oxbow-branch', true)");
            String lsn;
            String label;
            try {
                copyTree(source, target);
            } finally {
                try (ResultSet rs = st.executeQuery("SELECT lsn::text, labelfile FROM pg_backup_stop(false)")) {
                    rs.next();
                    lsn = rs.getString(1);
                    label = rs.getString(2);
                }
            }
            copyWal(source.resolve("pg_wal"), target.resolve("pg_wal"));
            Files.writeString(target.resolve("backup_label"), label);
            identity.chown(target.resolve("backup_label"));
            return lsn;
        }
    }

    /** Plain copy of a cleanly stopped cluster. */
    public void cloneStopped(Path source, Path target) throws IOException {
        copyTree(source, target);
        copyWal(source.resolve("pg_wal"), target.resolve("pg_wal"));
    }

    private void copyTree(Path source, Path target) throws IOException {
        long start = System.nanoTime();
        Files.walkFileTree(source, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                Path rel = source.relativize(dir);
                Files.copy(dir, target.resolve(rel.toString()), StandardCopyOption.COPY_ATTRIBUTES, LinkOption.NOFOLLOW_LINKS);
                if (rel.getNameCount() == 1 && EMPTY_DIRS.contains(rel.toString())) {
                    copyEmptySubdirs(dir, target.resolve(rel.toString()));
                    return FileVisitResult.SKIP_SUBTREE;
                }
                if (rel.getFileName() != null && rel.getFileName().toString().equals("pgsql_tmp")) {
                    return FileVisitResult.SKIP_SUBTREE;
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Path rel = source.relativize(file);
                if (rel.getNameCount() == 1 && SKIP_TOP.contains(rel.toString())) {
                    return FileVisitResult.CONTINUE;
                }
                try {
                    Files.copy(file, target.resolve(rel.toString()), StandardCopyOption.COPY_ATTRIBUTES, LinkOption.NOFOLLOW_LINKS);
                } catch (NoSuchFileException vanished) {
                    // dropped while we copied; WAL replay recreates what the copy needs
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException exc) throws IOException {
                if (exc instanceof NoSuchFileException) {
                    return FileVisitResult.CONTINUE;
                }
                throw exc;
            }
        });
        log.debug("data directory copied source={} target={} ms={}", source, target, (System.nanoTime() - start) / 1_000_000);
    }

    private static void copyEmptySubdirs(Path dir, Path target) throws IOException {
        try (var entries = Files.list(dir)) {
            for (Path p : entries.toList()) {
                if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    Files.copy(p, target.resolve(p.getFileName().toString()), StandardCopyOption.COPY_ATTRIBUTES, LinkOption.NOFOLLOW_LINKS);
                }
            }
        }
    }

    /** WAL segments (copied after the backup stopped, so they reach past its end) and the timeline history files. */
    private static void copyWal(Path source, Path target) throws IOException {
        try (var entries = Files.list(source)) {
            for (Path p : entries.toList()) {
                if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    try {
                        Files.copy(p, target.resolve(p.getFileName().toString()), StandardCopyOption.COPY_ATTRIBUTES,
                                StandardCopyOption.REPLACE_EXISTING, LinkOption.NOFOLLOW_LINKS);
                    } catch (NoSuchFileException recycled) {
                        // a segment recycled after the backup ended is not needed
                    }
                }
            }
        }
    }

    /** Removes a directory tree; missing is fine. */
    public void delete(Path dir) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
