package dev.oxbow.compute;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * PostgreSQL 16 and 17 server binaries, shipped inside the compute jar and unpacked once into
 * {@code <root>/<major>/}. Each unpack goes to a private temporary directory that is renamed into place
 * only when complete, carrying a marker with the archive's digest: concurrent threads or processes may
 * both unpack, one rename wins, and a newer Oxbow (different archive) replaces the old files.
 */
public final class PostgresBinaries {
    private static final Logger log = LoggerFactory.getLogger(PostgresBinaries.class);
    public static final List<Integer> VERSIONS = List.of(16, 17);
    /** Holds the archive's SHA-256; "ok" from the first version of this class also counts as complete. */
    static final String MARKER = ".complete";
    private static final String LEGACY_MARKER_CONTENT = "ok";

    private final Path root;
    private final ProcessIdentities identities;
    private final Map<Integer, Path> unpacked = new ConcurrentHashMap<>();

    public PostgresBinaries(Path root, ProcessIdentity identity) throws ComputeException {
        this(root, ProcessIdentities.shared(identity));
    }

    /** The binaries stay world-readable (they are public); every compute user must reach {@code root}. */
    public PostgresBinaries(Path root, ProcessIdentities identities) {
        this.root = root.toAbsolutePath().normalize();
        this.identities = identities;
    }

    /** {@code <root>/<major>/bin}, unpacking the bundled archive first if needed. Only 16 and 17 exist. */
    public Path binDir(int major) throws ComputeException {
        return installDir(major).resolve("bin");
    }

    /** {@code <root>/<major>}: bin/, lib/ and share/ of that major version. */
    public Path installDir(int major) throws ComputeException {
        if (!VERSIONS.contains(major)) {
            throw new ComputeException("PostgreSQL " + major + " is not available; Oxbow bundles PostgreSQL " + VERSIONS);
        }
        Path dir = unpacked.get(major);
        if (dir != null) {
            return dir;
        }
        synchronized (this) {
            dir = unpacked.get(major);
            if (dir == null) {
                dir = ensureUnpacked(major);
                unpacked.put(major, dir);
            }
            return dir;
        }
    }

    private Path ensureUnpacked(int major) throws ComputeException {
        Path target = root.resolve(Integer.toString(major));
        String resource = "/oxbow-pg/" + major + "/postgres-linux-x86_64.txz";
        try {
            String digest = digest(resource);
            String marker = markerOf(target);
            if (digest.equals(marker) || LEGACY_MARKER_CONTENT.equals(marker)) {
                return target;
            }
            Files.createDirectories(root);
            identities.grantTraversal(root.resolve(Integer.toString(major)));
            long start = System.nanoTime();
            Path tmp = root.resolve("." + major + ".unpacking-" + UUID.randomUUID());
            try {
                unpack(resource, tmp);
                Files.writeString(tmp.resolve(MARKER), digest + "\n");
                install(tmp, target, digest);
            } finally {
                deleteTree(tmp);
            }
            log.info("postgres binaries unpacked pg={} dir={} in_ms={}", major, target, (System.nanoTime() - start) / 1_000_000);
            return target;
        } catch (IOException e) {
            throw new ComputeException("cannot unpack PostgreSQL " + major + " into " + target + ": " + e, e);
        }
    }

    /** Renames the finished tree into place; if another process got there first with the same archive, keeps theirs. */
    private void install(Path tmp, Path target, String digest) throws IOException {
        for (int attempt = 0; attempt < 3; attempt++) {
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
                return;
            } catch (FileSystemException occupied) {
                String marker = markerOf(target);
                if (digest.equals(marker) || LEGACY_MARKER_CONTENT.equals(marker)) {
                    return; // a concurrent unpack won the race
                }
                // an older version (or an interrupted foreign copy): move it aside, then retry
                Path old = root.resolve("." + target.getFileName() + ".old-" + UUID.randomUUID());
                try {
                    Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
                    log.info("replacing postgres binaries dir={} old_marker={}", target, markerOf(old));
                } catch (FileSystemException raced) {
                    continue;
                } finally {
                    deleteTree(old);
                }
            }
        }
        throw new IOException("cannot move " + tmp + " to " + target);
    }

    private static void unpack(String resource, Path dir) throws IOException {
        Files.createDirectories(dir);
        try (InputStream raw = PostgresBinaries.class.getResourceAsStream(resource)) {
            if (raw == null) {
                throw new IOException("resource " + resource + " is missing from the compute jar");
            }
            try (TarArchiveInputStream tar = new TarArchiveInputStream(new XZCompressorInputStream(new BufferedInputStream(raw, 1 << 16)))) {
                TarArchiveEntry entry;
                while ((entry = tar.getNextEntry()) != null) {
                    Path out = dir.resolve(entry.getName()).normalize();
                    if (!out.startsWith(dir) || out.equals(dir) && !entry.isDirectory()) {
                        throw new IOException("archive entry escapes the target directory: " + entry.getName());
                    }
                    if (entry.isDirectory()) {
                        Files.createDirectories(out);
                        Files.setPosixFilePermissions(out, permissions(0755));
                    } else if (entry.isSymbolicLink()) {
                        Files.createDirectories(out.getParent());
                        Files.createSymbolicLink(out, Path.of(entry.getLinkName()));
                    } else if (entry.isLink()) {
                        Files.createDirectories(out.getParent());
                        Files.createLink(out, dir.resolve(entry.getLinkName()).normalize());
                    } else {
                        Files.createDirectories(out.getParent());
                        Files.copy(tar, out);
                        Files.setPosixFilePermissions(out, permissions(entry.getMode()));
                    }
                }
            }
        }
        // directories the archive did not list were created with the process umask
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.filter(p -> Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)).toList()) {
                Files.setPosixFilePermissions(p, permissions(0755));
            }
        }
    }

    /**
     * The archive's mode, made readable by everyone and executable by everyone when the owner may
     * execute: the files stay root's, and Postgres runs as another user.
     */
    static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> perms = EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE,
                PosixFilePermission.GROUP_READ, PosixFilePermission.OTHERS_READ);
        if ((mode & 0100) != 0) {
            perms.addAll(EnumSet.of(PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.OTHERS_EXECUTE));
        }
        return perms;
    }

    private static String markerOf(Path dir) {
        try {
            return Files.readString(dir.resolve(MARKER)).trim();
        } catch (IOException e) {
            return "";
        }
    }

    private static String digest(String resource) throws IOException {
        try (InputStream in = PostgresBinaries.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException("resource " + resource + " is missing from the compute jar");
            }
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            try (DigestInputStream din = new DigestInputStream(in, md)) {
                din.transferTo(java.io.OutputStream.nullOutputStream());
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
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
