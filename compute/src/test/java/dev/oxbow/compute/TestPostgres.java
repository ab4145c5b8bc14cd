package dev.oxbow.compute;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.UUID;

/**
 * Shared fixtures for tests on real PostgreSQL. Everything lives under /tmp (the postgres user cannot
 * reach /root or /work), binaries are unpacked once per machine, socket paths stay short.
 */
final class TestPostgres {
    static final Path BINARIES = Path.of("/tmp/oxbow-test-pg");
    static final String SUPERUSER = "oxbow_admin";

    private TestPostgres() {}

    static ProcessIdentity identity() throws ComputeException {
        return ProcessIdentity.detect("postgres");
    }

    static PostgresBinaries binaries() throws ComputeException {
        return new PostgresBinaries(BINARIES, identity());
    }

    /** A fresh world-searchable directory /tmp/oxbow-t-xxxxxxxx. */
    static Path scratchDir() throws IOException {
        Path dir = Path.of("/tmp", "oxbow-t-" + UUID.randomUUID().toString().substring(0, 8));
        Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        return dir;
    }

    static ComputeSpec spec(String uid, int pg, Path root, String name) {
        return new ComputeSpec(uid, "tenant-a", pg, root.resolve(name).resolve("pgdata"), root.resolve("s-" + name), java.util.Map.of());
    }

    static void deleteTree(Path dir) throws IOException {
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
