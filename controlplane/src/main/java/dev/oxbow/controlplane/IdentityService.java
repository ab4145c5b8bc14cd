package dev.oxbow.controlplane;

import dev.oxbow.metadata.AccessToken;
import dev.oxbow.metadata.MetadataStore;
import dev.oxbow.metadata.User;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.HexFormat;
import java.util.Optional;
import java.util.UUID;

/** Users and personal access tokens: the bootstrap admin, and who a bearer token belongs to. */
public final class IdentityService {
    private static final Logger log = LoggerFactory.getLogger(IdentityService.class);
    private final MetadataStore store;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();

    public IdentityService(MetadataStore store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    /**
     * On first start creates the admin and a token, written to {@code tokenFile} readable only by its owner.
     * Returns true if it did.
     */
    public boolean bootstrap(String adminUserName, Path tokenFile) throws IOException {
        if (!store.identities().users().isEmpty()) {
            return false;
        }
        User admin = new User(Long.toString(1_000_000_000L + random.nextInt(1_000_000_000)), adminUserName, "Oxbow admin",
                true, true, clock.instant());
        String token = newToken();
        Files.createDirectories(tokenFile.toAbsolutePath().getParent());
        Path tmp = tokenFile.resolveSibling(tokenFile.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(tmp, token + "\n", StandardCharsets.UTF_8, StandardOpenOption.TRUNCATE_EXISTING);
        store.transaction(() -> {
            store.identities().insertUser(admin);
            store.identities().insertToken(new AccessToken(UUID.randomUUID().toString(), admin.id(), hash(token),
                    "bootstrap admin token", clock.instant(), null));
        });
        Files.move(tmp, tokenFile, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        log.info("admin created user={} token_file={}", adminUserName, tokenFile.toAbsolutePath());
        return true;
    }

    /** The active user a bearer token belongs to. */
    public Optional<User> authenticate(String token) {
        if (token == null || token.isBlank()) {
            return Optional.empty();
        }
        return store.identities().tokenByHash(hash(token.strip()))
                .filter(t -> t.expireTime() == null || t.expireTime().isAfter(clock.instant()))
                .flatMap(t -> store.identities().user(t.userId()))
                .filter(User::active);
    }

    private String newToken() {
        byte[] bytes = new byte[20];
        random.nextBytes(bytes);
        return "dapi" + HexFormat.of().formatHex(bytes);
    }

    static String hash(String token) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
