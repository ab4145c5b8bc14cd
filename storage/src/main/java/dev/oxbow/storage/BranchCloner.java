package dev.oxbow.storage;

import dev.oxbow.compute.Lsn;

import dev.oxbow.compute.ComputeException;
import dev.oxbow.compute.PgConnections;
import dev.oxbow.compute.PostmasterPid;
import dev.oxbow.compute.ProcessIdentity;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Copies of a branch's data directory. {@link #cloneRunning} takes a consistent copy while the parent's
 * server keeps serving (a non-exclusive base backup); {@link #cloneStopped} copies a stopped cluster.
 * File data is reflinked where the filesystem can, else copied ({@link CloneStrategy}).
 */
public final class BranchCloner {
    private static final Logger log = LoggerFactory.getLogger(BranchCloner.class);
    private static final String BACKUP_LABEL = "oxbow-branch";

    /** Strategy per filesystem (device id): probing costs a cp call. */
    private final Map<Object, CloneStrategy> strategies = new ConcurrentHashMap<>();
    private volatile CloneStrategy lastStrategy;


    /** The strategy for clones created in {@code dir}'s filesystem. */
    public CloneStrategy strategyFor(Path dir) throws IOException {
        Path existing = dir.toAbsolutePath().normalize();
        while (!Files.isDirectory(existing)) {
            existing = existing.getParent();
        }
        Object device = Files.getAttribute(existing, "unix:dev");
        CloneStrategy known = strategies.get(device);
        if (known != null) {
            return known;
        }
        CloneStrategy detected = CloneStrategy.detect(existing);
        log.info("clone strategy detected dir={} strategy={}", existing, detected.id());
        strategies.put(device, detected);
        return detected;
    }

    /** The strategy the latest clone used ("none" before the first clone), for logs. */
    public String strategyName() {
        CloneStrategy s = lastStrategy;
        return s == null ? "none" : s.id();
    }

    /**
     * Copies the running cluster in {@code sourceDataDir} (served on {@code socketDir}) into
     * {@code targetDataDir} without stopping or pausing it, and returns the copy point: the parent's WAL
     * flush position right after the backup ended. On its first start the copy runs crash recovery from
     * the backup's checkpoint and then holds every transaction whose commit was flushed by the copy point:
     * all commits acknowledged before pg_backup_stop returned, and those acknowledged while the WAL was
     * copied up to that point. The target must not exist or be empty; on failure it is removed again.
     */
    public String cloneRunning(ProcessIdentity owner, Path socketDir, String superuser, Path sourceDataDir, Path targetDataDir)
            throws ComputeException, IOException, SQLException {
        long start = System.nanoTime();
        dev.oxbow.compute.PhaseTimer phases = dev.oxbow.compute.PhaseTimer.start();
        Path source = sourceDataDir.toRealPath();
        Path target = prepareTarget(owner, targetDataDir);
        CloneStrategy strategy = strategyFor(target.getParent());
        TreeCopier copier = new TreeCopier(strategy, owner);
        boolean done = false;
        try (Connection c = PgConnections.openForOxbow(socketDir, "postgres", superuser)) {
            checkServes(c, source, socketDir);
            checkNoTablespaces(source);
            // A temporary slot keeps the server from recycling WAL the copy needs, however long the copy takes;
            // it and the non-exclusive backup are bound to this session and vanish with it, also on failure.
            query(c, "SELECT pg_create_physical_replication_slot('oxbow_clone_' || pg_backend_pid(), true, true)");
            phases.end("connect");
            query(c, "SELECT pg_backup_start('" + BACKUP_LABEL + "', true)");
            phases.end("backup_start"); // the parent's checkpoint
            TreeCopier.Result data = copier.copyTree(source, target, CopyFilter.ONLINE);
            phases.end("copy");
            String stopLsn;
            String labelFile;
            String tablespaceMap;
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
                    "SELECT lsn::text, labelfile, spcmapfile FROM pg_backup_stop(false)")) {
                rs.next();
                stopLsn = rs.getString(1);
                labelFile = rs.getString(2);
                tablespaceMap = rs.getString(3);
            }
            phases.end("backup_stop");
            // WAL from the backup's checkpoint through everything flushed now: commits acknowledged before
            // this point are in it, and crash recovery replays all of it.
            String flushLsn;
            long segmentSize;
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
                    "SELECT pg_current_wal_flush_lsn()::text, setting::bigint FROM pg_settings WHERE name = 'wal_segment_size'")) {
                rs.next();
                flushLsn = rs.getString(1);
                segmentSize = rs.getLong(2);
            }
            String firstSegment = WalRange.startSegment(labelFile);
            WalRange wal = WalRange.of(firstSegment,
                    WalRange.segmentBefore(WalRange.timeline(firstSegment), Lsn.parse(flushLsn), segmentSize));
            TreeCopier.Result walCopied = copyWal(copier, source.resolve("pg_wal"), target.resolve("pg_wal"), wal);
            phases.end("wal");
            if (walCopied.vanished() > 0) {
                throw new ComputeException("WAL needed by the copy of " + source + " vanished while it was copied");
            }
            owner.writeFile(target.resolve("backup_label"), labelFile);
            if (tablespaceMap != null && !tablespaceMap.isEmpty()) {
                owner.writeFile(target.resolve("tablespace_map"), tablespaceMap);
            }
            lastStrategy = strategy;
            done = true;
            log.info("running cluster cloned source={} target={} strategy={} backup_stop_lsn={} lsn={} files={} bytes={} "
                            + "vanished={} wal_segments={} {} in_ms={}", source, target, strategy.id(), stopLsn, flushLsn, data.files(),
                    data.bytes() + walCopied.bytes(), data.vanished(), walCopied.files(), phases, (System.nanoTime() - start) / 1_000_000);
            return flushLsn;
        } finally {
            if (!done) {
                deleteQuietly(target);
            }
        }
    }

    /**
     * Copies a stopped cluster (all of it, WAL included). A cluster whose postmaster still runs is refused;
     * one that crashed is fine (the copy recovers like the original would).
     */
    public void cloneStopped(ProcessIdentity owner, Path source, Path target) throws ComputeException, IOException {
        long start = System.nanoTime();
        Path from = source.toRealPath();
        Optional<PostmasterPid> pm = PostmasterPid.read(from);
        if (pm.isPresent() && ProcessHandle.of(pm.get().pid()).map(ProcessHandle::isAlive).orElse(false)
                && ProcessHandle.of(pm.get().pid()).flatMap(h -> h.info().command()).map(cmd -> cmd.contains("postgres")).orElse(false)) {
            throw new ComputeException("cannot copy " + from + " as a stopped cluster: postgres pid " + pm.get().pid() + " still runs it");
        }
        Path to = prepareTarget(owner, target);
        CloneStrategy strategy = strategyFor(to.getParent());
        boolean done = false;
        try {
            TreeCopier.Result copied = new TreeCopier(strategy, owner).copyTree(from, to, CopyFilter.STOPPED);
            lastStrategy = strategy;
            done = true;
            log.info("stopped cluster cloned source={} target={} strategy={} files={} bytes={} in_ms={}", from, to, strategy.id(),
                    copied.files(), copied.bytes(), (System.nanoTime() - start) / 1_000_000);
        } finally {
            if (!done) {
                deleteQuietly(to);
            }
        }
    }

    /**
     * Makes {@code target} hold the files of {@code pristine} (a stopped cluster that is never written again, such as
     * a kept template) as hard links, so a snapshot of a cluster that was created as a copy of it costs directory
     * entries instead of a copy. Safe only because neither side is ever written in place: a snapshot is only read and
     * copied from, a template only copied from. The linked files keep their owner (Oxbow's) and are never chowned,
     * which would change the template too. Copies instead where {@code pristine} is on another filesystem.
     */
    public void linkStopped(ProcessIdentity owner, Path pristine, Path target) throws ComputeException, IOException {
        long start = System.nanoTime();
        Path from = pristine.toRealPath();
        Path to = prepareTarget(owner, target);
        if (!Files.getAttribute(from, "unix:dev").equals(Files.getAttribute(to, "unix:dev"))) {
            cloneStopped(owner, from, to);
            return;
        }
        boolean done = false;
        long[] files = {0};
        try {
            Files.walkFileTree(from, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                    if (!dir.equals(from)) {
                        Path d = to.resolve(from.relativize(dir).toString());
                        Files.createDirectory(d);
                        Files.setPosixFilePermissions(d, Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS));
                        owner.chown(d);
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    if (!attrs.isRegularFile()) {
                        throw new IOException("cannot link " + file + ": not a regular file");
                    }
                    Files.createLink(to.resolve(from.relativize(file).toString()), file);
                    files[0]++;
                    return FileVisitResult.CONTINUE;
                }
            });
            done = true;
            log.info("stopped cluster linked source={} target={} files={} in_ms={}", from, to, files[0], (System.nanoTime() - start) / 1_000_000);
        } finally {
            if (!done) {
                deleteQuietly(to);
            }
        }
    }

    /** Marks a cloned data directory as a standby: it starts in recovery and follows its primary. */
    public void markStandby(ProcessIdentity owner, Path dataDir) throws IOException {
        owner.writeFile(dataDir.resolve("standby.signal"), "");
    }

    /** Removes {@code dir} and everything below it (symlinks, not their targets); a missing directory is fine. */
    public void delete(Path dir) throws IOException {
        Path abs = dir.toAbsolutePath().normalize();
        if (abs.getNameCount() < 2) {
            throw new IOException("refusing to delete " + abs + ": too close to the filesystem root");
        }
        if (!Files.exists(abs, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        long start = System.nanoTime();
        Files.walkFileTree(abs, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.deleteIfExists(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException exc) throws IOException {
                if (exc instanceof NoSuchFileException) {
                    return FileVisitResult.CONTINUE;
                }
                throw exc;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
                if (exc != null && !(exc instanceof NoSuchFileException)) {
                    throw exc;
                }
                Files.deleteIfExists(d);
                return FileVisitResult.CONTINUE;
            }
        });
        log.info("directory deleted dir={} in_ms={}", abs, (System.nanoTime() - start) / 1_000_000);
    }

    /** The copy belongs to {@code owner} (the source's tenant: a clone never changes hands); so do missing parents. */
    private Path prepareTarget(ProcessIdentity owner, Path targetDataDir) throws IOException, ComputeException {
        Path target = targetDataDir.toAbsolutePath().normalize();
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(target)) {
                if (entries.iterator().hasNext()) {
                    throw new ComputeException("cannot clone into " + target + ": the directory is not empty");
                }
            }
        }
        owner.privateDir(target);
        return target;
    }

    /** The socket must belong to the cluster we copy: a mix-up would produce a copy with a foreign backup label. */
    private static void checkServes(Connection c, Path source, Path socketDir) throws SQLException, ComputeException, IOException {
        Path served = Path.of(query(c, "SELECT current_setting('data_directory')")).toRealPath();
        if (!served.equals(source)) {
            throw new ComputeException("the server on " + socketDir + " runs " + served + ", not " + source);
        }
        if ("true".equals(query(c, "SELECT pg_is_in_recovery()::text"))) {
            throw new ComputeException("cannot clone " + source + ": its server is a standby");
        }
    }

    /** Tablespaces live outside the data directory; a copy would share them with the parent. */
    private static void checkNoTablespaces(Path source) throws IOException, ComputeException {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(source.resolve("pg_tblspc"))) {
            if (entries.iterator().hasNext()) {
                throw new ComputeException("cannot clone " + source + ": it has tablespaces (pg_tblspc), which branches do not support");
            }
        } catch (NoSuchFileException none) {
            // no tablespace directory at all
        }
    }

    private static TreeCopier.Result copyWal(TreeCopier copier, Path sourceWal, Path targetWal, WalRange range) throws IOException {
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(sourceWal)) {
            for (Path p : entries) {
                String name = p.getFileName().toString();
                if (range.needs(name) && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    names.add(name);
                }
            }
        }
        names.sort(null);
        List<String> missing = range.missingFrom(names);
        if (!missing.isEmpty()) {
            throw new IOException("WAL segments " + missing + " are missing from " + sourceWal);
        }
        return copier.copyFiles(sourceWal, names, targetWal);
    }

    private void deleteQuietly(Path dir) {
        try {
            delete(dir);
        } catch (IOException e) {
            log.warn("cannot remove partial clone dir={} cause={}", dir, e.toString());
        }
    }

    private static String query(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
