package dev.oxbow.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Optional;

/**
 * The id of one Oxbow home, kept in its {@value #FILE} file: the per-project OS users a home creates carry it in
 * their passwd comment, so the servers of several homes on one machine each remove only their own users.
 */
public final class HomeId {
    static final String FILE = "home-id";

    private HomeId() {
    }

    /** The home's id, made (random, 16 hex digits) on its first start. */
    public static String ensure(Path home) throws IOException {
        Optional<String> known = read(home);
        if (known.isPresent()) {
            return known.get();
        }
        byte[] random = new byte[8];
        new SecureRandom().nextBytes(random);
        String id = HexFormat.of().formatHex(random);
        // like everything in the home, for Oxbow's eyes only
        var ownerOnly = java.nio.file.attribute.PosixFilePermissions.asFileAttribute(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        try (var out = Files.newByteChannel(home.resolve(FILE), java.util.Set.of(java.nio.file.StandardOpenOption.CREATE_NEW,
                java.nio.file.StandardOpenOption.WRITE), ownerOnly)) {
            out.write(java.nio.ByteBuffer.wrap((id + "\n").getBytes(StandardCharsets.US_ASCII)));
            return id;
        } catch (FileAlreadyExistsException raced) {
            return read(home).orElseThrow(() -> new IOException("home id of " + home + " vanished"));
        }
    }

    /** The home's id, if it ever started (without making one). */
    public static Optional<String> read(Path home) throws IOException {
        Path file = home.resolve(FILE);
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        String id = Files.readString(file, StandardCharsets.US_ASCII).strip();
        return id.isEmpty() ? Optional.empty() : Optional.of(id);
    }

    /**
     * Removes every OS user home {@code home} created (as root; otherwise there are none): what whoever discards a
     * home (the test fixtures) calls after its server stopped, since its projects go with it.
     */
    public static java.util.List<String> removeUsersOf(Path home) throws IOException, dev.oxbow.compute.ComputeException {
        Optional<String> id = read(home);
        if (id.isEmpty() || !"root".equals(ProcessHandle.current().info().user().orElse(""))) {
            return java.util.List.of();
        }
        return dev.oxbow.compute.ProcessIdentities.perTenant(id.get()).sweep(java.util.Set.of());
    }
}
