package dev.oxbow.compute;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;

/**
 * PostgreSQL 16 and 17 server binaries, shipped inside the compute jar and unpacked once per install
 * root ({@code <root>/<major>/bin}). A file lock makes concurrent servers and test JVMs safe.
 */
public final class PostgresBinaries {
    private static final Logger log = LoggerFactory.getLogger(PostgresBinaries.class);
    public static final Set<Integer> VERSIONS = Set.of(16, 17);

    private final Path root;
    private final ProcessIdentity identity;

    public PostgresBinaries(Path root, ProcessIdentity identity) {
        this.root = root.toAbsolutePath();
        this.identity = identity;
    }

    public synchronized Path binDir(int major) throws ComputeException {
        if (!VERSIONS.contains(major)) {
            throw new ComputeException("PostgreSQL " + major + " is not bundled; use 16 or 17.");
        }
        Path target = root.resolve(Integer.toString(major));
        if (Files.exists(target.resolve(".complete"))) {
            return target.resolve("bin");
        }
        try {
            Files.createDirectories(root);
            identity.ensureTraversable(root);
            try (FileChannel ch = FileChannel.open(root.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                 FileLock ignored = ch.lock()) {
                if (!Files.exists(target.resolve(".complete"))) {
                    unpack(major, target);
                }
            }
            return target.resolve("bin");
        } catch (IOException e) {
            throw new ComputeException("cannot unpack PostgreSQL " + major + " into " + target + ": " + e.getMessage(), e);
        }
    }

    private void unpack(int major, Path target) throws IOException {
        long start = System.nanoTime();
        String resource = "/oxbow-pg/" + major + "/postgres-linux-x86_64.txz";
        Path tmp = Files.createTempDirectory(root, major + ".unpacking-");
        try (InputStream raw = PostgresBinaries.class.getResourceAsStream(resource)) {
            if (raw == null) {
                throw new IOException("resource " + resource + " is missing from the build");
            }
            try (TarArchiveInputStream tar = new TarArchiveInputStream(new XZCompressorInputStream(new BufferedInputStream(raw)))) {
                TarArchiveEntry entry;
                while ((entry = tar.getNextEntry()) != null) {
                    Path out = tmp.resolve(entry.getName()).normalize();
                    if (!out.startsWith(tmp)) {
                        throw new IOException("archive entry escapes the target: " + entry.getName());
                    }
                    if (entry.isDirectory()) {
                        Files.createDirectories(out);
                    } else if (entry.isSymbolicLink()) {
                        Files.createDirectories(out.getParent());
                        Files.createSymbolicLink(out, Path.of(entry.getLinkName()));
                    } else {
                        Files.createDirectories(out.getParent());
                        Files.copy(tar, out, StandardCopyOption.REPLACE_EXISTING);
                        Files.setPosixFilePermissions(out, permissions(entry.getMode()));
                    }
                }
            }
        }
        try (var walk = Files.walk(tmp)) {
            for (Path p : walk.filter(Files::isDirectory).toList()) {
                Files.setPosixFilePermissions(p, permissions(0755));
            }
        }
        deleteTree(target);
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        Files.writeString(target.resolve(".complete"), "ok\n");
        log.info("postgres binaries unpacked version={} dir={} ms={}", major, target, (System.nanoTime() - start) / 1_000_000);
    }

    private static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> perms = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] order = {PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
                PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
                PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ};
        for (int i = 0; i < order.length; i++) {
            if ((mode & (1 << i)) != 0) {
                perms.add(order[i]);
            }
        }
        // everyone must be able to read and run the binaries (postgres runs as another user when we are root)
        perms.add(PosixFilePermission.OWNER_READ);
        perms.add(PosixFilePermission.GROUP_READ);
        perms.add(PosixFilePermission.OTHERS_READ);
        if (perms.contains(PosixFilePermission.OWNER_EXECUTE)) {
            perms.add(PosixFilePermission.GROUP_EXECUTE);
            perms.add(PosixFilePermission.OTHERS_EXECUTE);
        }
        return perms;
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
