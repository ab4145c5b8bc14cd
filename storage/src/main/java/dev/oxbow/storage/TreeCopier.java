package dev.oxbow.storage;

import dev.oxbow.compute.ProcessIdentity;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.FileVisitor;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributes;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Copies a directory tree the way a base backup needs it: files may vanish while we copy (a dropped
 * table) and that is fine; everything in the copy belongs to the Postgres user and keeps its mode.
 * With {@link CloneStrategy#REFLINK} file data is cloned by {@code cp --reflink}, one call per
 * directory; with {@link CloneStrategy#COPY} by {@link Files#copy} (in-kernel copy_file_range).
 */
final class TreeCopier {
    /** Files per cp invocation, well below the argument length limit. */
    private static final int CP_BATCH = 200;

    record Result(long files, long bytes, long vanished) {
        Result plus(Result other) {
            return new Result(files + other.files, bytes + other.bytes, vanished + other.vanished);
        }
    }

    private final CloneStrategy strategy;
    private final ProcessIdentity identity;
    private final String reflinkMode;

    TreeCopier(CloneStrategy strategy, ProcessIdentity identity) {
        this(strategy, identity, "always");
    }

    /** {@code reflinkMode} "auto" lets tests run the reflink path on filesystems without reflink support. */
    TreeCopier(CloneStrategy strategy, ProcessIdentity identity, String reflinkMode) {
        this.strategy = strategy;
        this.identity = identity;
        this.reflinkMode = reflinkMode;
    }

    /** Copies what {@code filter} admits from {@code source} into the existing directory {@code target}. */
    Result copyTree(Path source, Path target, CopyFilter filter) throws IOException {
        Walk walk = new Walk(source, target, filter);
        Files.walkFileTree(source, walk);
        return walk.result;
    }

    /** Copies the named files of {@code sourceDir} into {@code targetDir}; names that no longer exist count as vanished. */
    Result copyFiles(Path sourceDir, List<String> names, Path targetDir) throws IOException {
        if (strategy == CloneStrategy.REFLINK) {
            return cpBatch(sourceDir, names, targetDir);
        }
        Result result = new Result(0, 0, 0);
        for (String name : names) {
            result = result.plus(copyOne(sourceDir.resolve(name), targetDir.resolve(name)));
        }
        return result;
    }

    private Result copyOne(Path source, Path target) throws IOException {
        try {
            long size = Files.size(source);
            Files.copy(source, target, StandardCopyOption.COPY_ATTRIBUTES, LinkOption.NOFOLLOW_LINKS);
            identity.chown(target);
            return new Result(1, size, 0);
        } catch (NoSuchFileException e) {
            if (Files.exists(source, LinkOption.NOFOLLOW_LINKS)) {
                throw e;
            }
            return new Result(0, 0, 1);
        }
    }

    private Result cpBatch(Path sourceDir, List<String> names, Path targetDir) throws IOException {
        Result result = new Result(0, 0, 0);
        for (int from = 0; from < names.size(); from += CP_BATCH) {
            List<String> batch = names.subList(from, Math.min(names.size(), from + CP_BATCH));
            List<String> command = new ArrayList<>(List.of("cp", "--reflink=" + reflinkMode, "--preserve=mode,ownership,timestamps",
                    "--no-dereference", "-t", targetDir.toString(), "--"));
            batch.forEach(name -> command.add(sourceDir.resolve(name).toString()));
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
            pb.environment().put("LC_ALL", "C");
            Process cp = pb.start();
            String output = new String(cp.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            int exit;
            try {
                exit = cp.waitFor();
            } catch (InterruptedException e) {
                cp.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while cloning files of " + sourceDir, e);
            }
            for (String name : batch) {
                Path target = targetDir.resolve(name);
                if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                    identity.chown(target);
                    result = result.plus(new Result(1, Files.size(target), 0));
                } else if (exit != 0 && !Files.exists(sourceDir.resolve(name), LinkOption.NOFOLLOW_LINKS)) {
                    result = result.plus(new Result(0, 0, 1));
                } else {
                    throw new IOException("cp --reflink=" + reflinkMode + " did not copy " + sourceDir.resolve(name)
                            + " (exit code " + exit + "): " + output);
                }
            }
        }
        return result;
    }

    private void createDirectoryLike(Path source, Path target) throws IOException {
        PosixFileAttributes attrs = Files.readAttributes(source, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        Files.createDirectory(target);
        Files.setPosixFilePermissions(target, attrs.permissions());
        identity.chown(target);
    }

    /** One walk: directories are created as they are entered, files copied (or batched) per directory. */
    private final class Walk implements FileVisitor<Path> {
        private final Path source;
        private final Path target;
        private final CopyFilter filter;
        /** Regular files of each directory being walked, for one cp call per directory. */
        private final Deque<List<String>> pending = new ArrayDeque<>();
        Result result = new Result(0, 0, 0);

        Walk(Path source, Path target, CopyFilter filter) {
            this.source = source;
            this.target = target;
            this.filter = filter;
        }

        @Override
        public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
            if (!dir.equals(source)) {
                Path rel = source.relativize(dir);
                CopyFilter.Decision decision = filter.decide(rel, true);
                if (decision == CopyFilter.Decision.SKIP) {
                    return FileVisitResult.SKIP_SUBTREE;
                }
                try {
                    createDirectoryLike(dir, target.resolve(rel.toString()));
                } catch (NoSuchFileException vanished) {
                    return FileVisitResult.SKIP_SUBTREE;
                }
                if (decision == CopyFilter.Decision.SKELETON) {
                    createEmptySubdirectories(dir, target.resolve(rel.toString()));
                }
                if (decision != CopyFilter.Decision.COPY) {
                    return FileVisitResult.SKIP_SUBTREE;
                }
            }
            pending.push(new ArrayList<>());
            return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
            Path rel = source.relativize(file);
            if (filter.decide(rel, false) == CopyFilter.Decision.SKIP) {
                return FileVisitResult.CONTINUE;
            }
            if (attrs.isRegularFile()) {
                if (strategy == CloneStrategy.REFLINK) {
                    pending.peek().add(file.getFileName().toString());
                } else {
                    result = result.plus(copyOne(file, target.resolve(rel.toString())));
                }
            } else if (attrs.isSymbolicLink()) {
                result = result.plus(copyOne(file, target.resolve(rel.toString())));
            }
            // sockets, fifos: never part of a data directory's state
            return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFileFailed(Path file, IOException exc) throws IOException {
            if (exc instanceof NoSuchFileException) {
                result = result.plus(new Result(0, 0, 1));
                return FileVisitResult.CONTINUE;
            }
            throw exc;
        }

        @Override
        public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
            List<String> files = pending.pop();
            if (exc != null && !(exc instanceof NoSuchFileException)) {
                throw exc;
            }
            if (!files.isEmpty()) {
                Path rel = source.relativize(dir);
                result = result.plus(cpBatch(dir, files, rel.toString().isEmpty() ? target : target.resolve(rel.toString())));
            }
            return FileVisitResult.CONTINUE;
        }

        private void createEmptySubdirectories(Path dir, Path targetDir) throws IOException {
            try (DirectoryStream<Path> children = Files.newDirectoryStream(dir)) {
                for (Path child : children) {
                    if (Files.isDirectory(child, LinkOption.NOFOLLOW_LINKS)) {
                        try {
                            createDirectoryLike(child, targetDir.resolve(child.getFileName().toString()));
                        } catch (NoSuchFileException vanished) {
                            // gone meanwhile
                        }
                    }
                }
            } catch (NoSuchFileException vanished) {
                // the directory itself went away
            }
        }
    }
}
