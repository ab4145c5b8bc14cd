package dev.oxbow.compute;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Fresh clusters as copies of one pristine initdb result per PostgreSQL major version and superuser.
 * Every cluster Oxbow creates is initdb'd with the same options, so the output differs only in its
 * system identifier, and initdb (bootstrap plus several single-user runs) costs 0.5-1.5 s of CPU where
 * a copy of its ~35 MB costs a tenth of that. The identifier is then shared by every project's cluster;
 * nothing in Oxbow reads it, and each branch keeps its own WAL archive, so no two clusters' WAL ever meet.
 * The templates sit in a directory only Oxbow can read; a copy is owned by its tenant's user.
 */
final class ClusterTemplates implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ClusterTemplates.class);
    private static final String STAGING_PREFIX = ".staging-";

    private final Path root;
    /** Ready copies of the named templates (only those: the project create's path), see {@link SpareClusters}. */
    private final SpareClusters spares;

    ClusterTemplates(Path root) {
        this.root = root.toAbsolutePath().normalize();
        this.spares = new SpareClusters(this.root);
    }

    /** The initdb result itself: {@code name} null; a named one holds more (made by the control plane from a copy of it). */
    Path templateOf(int pgVersion, String superuser, String name) {
        if (name != null && !name.matches("[a-z0-9-]+")) {
            throw new IllegalArgumentException("template name must be lower-case letters, digits and dashes: " + name);
        }
        return root.resolve("pg" + pgVersion + "-" + superuser + (name == null ? "" : "-" + name));
    }

    /** Copies the template into the (empty or missing) {@code target} for {@code owner}; false if there is none yet. */
    boolean copyInto(int pgVersion, String superuser, Path target, ProcessIdentity owner) throws IOException {
        return copyInto(pgVersion, superuser, null, target, owner);
    }

    boolean copyInto(int pgVersion, String superuser, String name, Path target, ProcessIdentity owner) throws IOException {
        Path template = templateOf(pgVersion, superuser, name);
        if (!Files.isRegularFile(template.resolve("PG_VERSION"))) {
            return false;
        }
        if (name != null) {
            if (spares.take(template, target, owner)) {
                return true;
            }
        }
        owner.privateDir(target);
        copyTree(template, target, owner);
        if (name != null) {
            spares.replenish(template); // after the copy, not beside it: both would compete for the disk
        }
        return true;
    }

    /** Keeps a copy of a cluster initdb just made (never started) as the template, unless another one won the race. */
    void keep(int pgVersion, String superuser, Path fresh) {
        keep(pgVersion, superuser, null, fresh);
    }

    /**
     * Keeps a copy of a stopped cluster as the template {@code name}, unless another one won the race. A template is
     * never written to once in place (snapshots may share its files by hard links); a new content needs a new name.
     */
    void keep(int pgVersion, String superuser, String name, Path fresh) {
        Path template = templateOf(pgVersion, superuser, name);
        if (Files.isRegularFile(template.resolve("PG_VERSION"))) {
            return;
        }
        Path staging = root.resolve(STAGING_PREFIX + UUID.randomUUID());
        try {
            Files.createDirectories(root, PosixFilePermissions.asFileAttribute(ProcessIdentity.PRIVATE_DIR));
            Files.createDirectory(staging, PosixFilePermissions.asFileAttribute(ProcessIdentity.PRIVATE_DIR));
            copyTree(fresh, staging, null);
            Files.move(staging, template, StandardCopyOption.ATOMIC_MOVE);
            log.info("cluster template kept template={} pg={} superuser={}", template, pgVersion, superuser);
            if (name != null) {
                spares.replenish(template);
            }
        } catch (FileAlreadyExistsException | java.nio.file.DirectoryNotEmptyException raced) {
            // a concurrent initdb kept its own first
        } catch (IOException e) {
            log.warn("cannot keep a cluster template template={} cause={}", template, e.toString());
        } finally {
            deleteQuietly(staging);
        }
    }

    /** Files and directories with their modes; owned by {@code owner} (null: by Oxbow itself). Links are not followed. */
    static void copyTree(Path from, Path to, ProcessIdentity owner) throws IOException {
        Files.walkFileTree(from, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                Path d = to.resolve(from.relativize(dir).toString());
                if (!dir.equals(from)) {
                    Files.createDirectory(d);
                }
                Files.setPosixFilePermissions(d, Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS));
                if (owner != null) {
                    owner.chown(d);
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                if (!attrs.isRegularFile()) {
                    throw new IOException("cluster template holds something other than files and directories: " + file);
                }
                if (Thread.currentThread().isInterrupted()) {
                    throw new java.io.InterruptedIOException("copy of " + from + " interrupted"); // a spare's, at shutdown
                }
                Path f = to.resolve(from.relativize(file).toString());
                Files.copy(file, f, LinkOption.NOFOLLOW_LINKS);
                Files.setPosixFilePermissions(f, Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS));
                if (owner != null) {
                    owner.chown(f);
                }
                return FileVisitResult.CONTINUE;
            }
        });
    }

    static void deleteQuietly(Path dir) {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            all.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // best effort: a leftover staging directory is never read
                }
            });
        } catch (IOException ignored) {
            // as above
        }
    }

    /** Stops the making of a spare (see {@link SpareClusters#close}). */
    @Override
    public void close() {
        spares.close();
    }
}
