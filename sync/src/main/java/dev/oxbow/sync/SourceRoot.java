package dev.oxbow.sync;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * The directory a Delta source's files must stay in (its catalog's root, or the table's own directory for a
 * path an admin gave): every file the reader opens or lists is resolved to its real path (symbolic links
 * followed) and refused when that leaves the root. Only local files: any other URI scheme is refused.
 */
public record SourceRoot(Path realRoot) {
    /** The root at {@code dir}, itself resolved to its real path. */
    public static SourceRoot of(Path dir) throws IOException {
        return new SourceRoot(dir.toRealPath());
    }

    /** Checks {@code location} (a path or {@code file:} URI); a file that does not exist yet is judged by its nearest existing parent. */
    public void check(String location) {
        Path path = local(location);
        Path existing = path;
        while (existing != null && !Files.exists(existing, LinkOption.NOFOLLOW_LINKS)) {
            existing = existing.getParent();
        }
        Path real;
        try {
            real = existing == null ? path : existing.toRealPath().resolve(existing.relativize(path));
        } catch (IOException e) {
            throw new SourceOutsideRoot(path.getFileName() == null ? "/" : path.getFileName().toString());
        }
        if (!real.normalize().startsWith(realRoot)) {
            throw new SourceOutsideRoot(path.getFileName() == null ? "/" : path.getFileName().toString());
        }
    }

    private static Path local(String location) {
        if (location.startsWith("file:")) {
            return Path.of(URI.create(location.replace(" ", "%20"))).toAbsolutePath().normalize();
        }
        if (location.contains("://")) {
            throw new SourceOutsideRoot(location.substring(0, location.indexOf("://") + 3) + "...");
        }
        return Path.of(location).toAbsolutePath().normalize();
    }

    /** A file the reader was asked to open resolves outside the root; the message names only the file. */
    public static final class SourceOutsideRoot extends RuntimeException {
        SourceOutsideRoot(String file) {
            super("file " + file + " resolves outside the source's directory");
        }
    }
}
