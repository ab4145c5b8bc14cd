package dev.oxbow.compute;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * One ready copy of each named template, made in the background, so a new cluster is a rename instead of a ~38 MB
 * copy on the create's path (the largest step of a project create). A spare is copied into a staging directory,
 * flushed to disk and then renamed ready, all in a directory only Oxbow reads; taking one chowns it to its tenant
 * there and renames it into place, and starts the next. A staging directory a crash left is removed at start; a ready
 * spare stays good across restarts (its template never changes once kept).
 */
final class SpareClusters implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SpareClusters.class);
    static final String DIR = "spares";
    private static final String STAGING_PREFIX = ".staging-";
    private static final String CLAIMED_PREFIX = ".claimed-";
    /** Longest a take waits for a spare being made before copying on its own. */
    private static final long AWAIT_MAKING_SECONDS = 30;

    private final Path root;
    private final ExecutorService pool;
    /** The spare being made per template directory, if any. */
    private final Map<Path, CompletableFuture<Void>> making = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /** {@code templatesRoot}: the templates' directory; spares live in its {@value #DIR} subdirectory. */
    SpareClusters(Path templatesRoot) {
        this.root = templatesRoot.resolve(DIR);
        this.pool = Executors.newSingleThreadExecutor(Thread.ofPlatform().name("oxbow-spare-cluster").daemon().factory());
        removeHalfMade();
    }

    /**
     * Moves a ready spare of {@code template} to {@code target} (missing or empty), owned by {@code owner}; false when
     * there is none (nothing changed then; the caller copies, then {@link #replenish}es). Then queues the next spare.
     */
    boolean take(Path template, Path target, ProcessIdentity owner) throws IOException {
        Path dir = spareDir(template);
        Optional<Path> claimed = claim(dir);
        if (claimed.isEmpty()) {
            CompletableFuture<Void> inFlight = making.get(dir);
            if (inFlight != null) {
                // a spare is half copied: finishing it is sooner than a second copy competing for the same disk
                try {
                    inFlight.get(AWAIT_MAKING_SECONDS, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                } catch (Exception e) {
                    // failed or slow: copy on our own
                }
                claimed = claim(dir);
            }
        }
        if (claimed.isEmpty()) {
            return false;
        }
        try {
            chownTree(claimed.get(), owner);
            owner.containerDirs(target.getParent());
            if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
                Files.delete(target); // empty (the caller's contract); rename needs the name free
            }
            Files.move(claimed.get(), target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException otherFileSystem) {
            deleteQuietly(claimed.get());
            log.info("spare clusters are on another file system than {}; copying instead", target);
            return false;
        } catch (IOException e) {
            deleteQuietly(claimed.get());
            throw e;
        }
        replenish(template);
        return true;
    }

    /** Makes a spare of {@code template} in the background unless one is ready or being made. */
    void replenish(Path template) {
        Path dir = spareDir(template);
        if (closed || hasReady(dir)) {
            return;
        }
        CompletableFuture<Void> mine = new CompletableFuture<>();
        if (making.putIfAbsent(dir, mine) != null) {
            return;
        }
        try {
            pool.execute(() -> {
                Exception failure = null;
                try {
                    make(template, dir);
                } catch (Exception e) {
                    log.warn("spare cluster not made template={} cause={}", template, e.toString());
                    failure = e;
                }
                // no longer in flight before the waiters wake: a waiter that takes this spare must be able to queue the next
                making.remove(dir, mine);
                if (failure == null) {
                    mine.complete(null);
                } else {
                    mine.completeExceptionally(failure);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException shutDown) {
            making.remove(dir, mine);
            mine.complete(null);
        }
    }

    private void make(Path template, Path dir) throws IOException, InterruptedException {
        if (hasReady(dir)) {
            return;
        }
        long start = System.nanoTime();
        Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(ProcessIdentity.PRIVATE_DIR));
        Path staging = dir.resolve(STAGING_PREFIX + UUID.randomUUID());
        try {
            Files.createDirectory(staging, PosixFilePermissions.asFileAttribute(ProcessIdentity.PRIVATE_DIR));
            ClusterTemplates.copyTree(template, staging, null);
            long copied = System.nanoTime();
            // on disk before it is called ready, so a crash never leaves a ready spare with lost writes (off every request's path)
            FileSystemSync.syncfs(staging);
            Files.move(staging, dir.resolve(UUID.randomUUID().toString()), StandardCopyOption.ATOMIC_MOVE);
            log.info("spare cluster ready template={} copy_ms={} flush_ms={}", template.getFileName(), (copied - start) / 1_000_000,
                    (System.nanoTime() - copied) / 1_000_000);
        } finally {
            deleteQuietly(staging);
        }
    }

    /** Renames one ready spare to a claimed name (atomic: two takers never get the same one). */
    private synchronized Optional<Path> claim(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return Optional.empty();
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, p -> !p.getFileName().toString().startsWith("."))) {
            for (Path ready : entries) {
                Path claimed = dir.resolve(CLAIMED_PREFIX + ready.getFileName());
                try {
                    Files.move(ready, claimed, StandardCopyOption.ATOMIC_MOVE);
                    return Optional.of(claimed);
                } catch (NoSuchFileException gone) {
                    // taken meanwhile
                }
            }
        }
        return Optional.empty();
    }

    private static boolean hasReady(Path dir) {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, p -> !p.getFileName().toString().startsWith("."))) {
            return entries.iterator().hasNext();
        } catch (IOException e) {
            return false;
        }
    }

    private Path spareDir(Path template) {
        return root.resolve(template.getFileName().toString());
    }

    /** Staging and claimed directories are never complete and never anyone's: what a crash left of them goes. */
    private void removeHalfMade() {
        if (!Files.isDirectory(root)) {
            return;
        }
        try (DirectoryStream<Path> templates = Files.newDirectoryStream(root)) {
            for (Path dir : templates) {
                try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, p -> p.getFileName().toString().startsWith("."))) {
                    for (Path leftover : entries) {
                        log.info("half-made spare cluster removed dir={}", leftover);
                        deleteQuietly(leftover);
                    }
                }
            }
        } catch (IOException e) {
            log.warn("cannot look for half-made spare clusters root={} cause={}", root, e.toString());
        }
    }

    private static void chownTree(Path dir, ProcessIdentity owner) throws IOException {
        if (!owner.root()) {
            return;
        }
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) throws IOException {
                owner.chown(d);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                owner.chown(file);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    private static void deleteQuietly(Path dir) {
        ClusterTemplates.deleteQuietly(dir);
    }

    /** Stops a spare being made (its staging directory is removed at the next start). */
    @Override
    public void close() {
        closed = true;
        pool.shutdownNow();
        try {
            pool.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
