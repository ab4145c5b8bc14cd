package dev.oxbow.storage.object;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Objects as files below a root directory ({@code file:///dir}): for a second local disk or a mounted
 * network filesystem, and for tests. Every write goes to a temporary file that is synced and then renamed
 * into place, so an object is either whole or absent.
 */
public final class LocalObjectStore implements ObjectStore {
    private static final String TMP_SUFFIX = ".oxbow-tmp";

    private final Path root;

    public LocalObjectStore(Path root) throws IOException {
        this.root = root.toAbsolutePath().normalize();
        Files.createDirectories(this.root);
    }

    private Path file(String key) {
        ObjectKeys.check(key);
        Path f = root.resolve(key).normalize();
        if (!f.startsWith(root)) {
            throw new IllegalArgumentException("object key escapes the store: " + key);
        }
        return f;
    }

    @Override
    public void put(String key, Path file) throws IOException {
        Path target = file(key);
        Files.createDirectories(target.getParent());
        Path tmp = target.resolveSibling(target.getFileName() + "." + UUID.randomUUID() + TMP_SUFFIX);
        try {
            Files.copy(file, tmp, StandardCopyOption.REPLACE_EXISTING);
            publish(tmp, target);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    @Override
    public void put(String key, byte[] bytes) throws IOException {
        Path target = file(key);
        Files.createDirectories(target.getParent());
        Path tmp = target.resolveSibling(target.getFileName() + "." + UUID.randomUUID() + TMP_SUFFIX);
        try {
            Files.write(tmp, bytes);
            publish(tmp, target);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static void publish(Path tmp, Path target) throws IOException {
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    @Override
    public Optional<byte[]> get(String key) throws IOException {
        try {
            return Optional.of(Files.readAllBytes(file(key)));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    @Override
    public boolean download(String key, Path target) throws IOException {
        Path source = file(key);
        if (!Files.isRegularFile(source)) {
            return false;
        }
        Path tmp = target.resolveSibling(target.getFileName() + "." + UUID.randomUUID() + TMP_SUFFIX);
        try {
            Files.copy(source, tmp);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return true;
        } catch (NoSuchFileException gone) {
            return false;
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    @Override
    public List<ObjectInfo> list(String prefix) throws IOException {
        List<ObjectInfo> out = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            files.filter(Files::isRegularFile).forEach(f -> {
                String key = root.relativize(f).toString();
                if (key.startsWith(prefix) && !key.endsWith(TMP_SUFFIX)) {
                    try {
                        out.add(new ObjectInfo(key, Files.size(f), Files.getLastModifiedTime(f).toInstant()));
                    } catch (NoSuchFileException gone) {
                        // deleted while listing
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        out.sort(Comparator.comparing(ObjectInfo::key));
        return out;
    }

    @Override
    public boolean exists(String key) {
        return Files.isRegularFile(file(key));
    }

    @Override
    public void delete(Collection<String> keys) throws IOException {
        for (String k : keys) {
            Files.deleteIfExists(file(k));
        }
    }

    @Override
    public String location() {
        return root.toUri().toString();
    }

    @Override
    public void close() {}
}
