package dev.oxbow.controlplane.history;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;

/**
 * Encrypts what the metadata backup puts into the bucket (the SQLite copy, which holds role passwords and
 * other project secrets, and the home's signing keys, CA key and admin token) with AES-256-GCM under a key
 * that is never in the bucket: {@code OXBOW_BACKUP_KEY} (base64 of 32 bytes) if set, else
 * {@code <home>/backup-key}, made on first use. Whoever reads the bucket without the key learns nothing;
 * a restore needs the key (the variable, or the file copied into the new, otherwise empty home). The
 * object's key is authenticated too, so a sealed object moved to another name does not open.
 */
public final class BackupCipher {
    private static final Logger log = LoggerFactory.getLogger(BackupCipher.class);
    public static final String ENV = "OXBOW_BACKUP_KEY";
    public static final String FILE = "backup-key";
    private static final byte[] MAGIC = "OXBOW-AESGCM-1\n".getBytes(StandardCharsets.US_ASCII);
    private static final int NONCE = 12;

    private final SecretKeySpec key;
    private final SecureRandom random = new SecureRandom();

    private BackupCipher(byte[] key) {
        if (key.length != 32) {
            throw new IllegalArgumentException("a backup key is 32 bytes (base64: 44 characters), not " + key.length);
        }
        this.key = new SecretKeySpec(key, "AES");
    }

    public static BackupCipher of(String base64) {
        return new BackupCipher(Base64.getDecoder().decode(base64.strip()));
    }

    /** The key from {@code env}, else from the home's key file; {@code create} makes that file when missing. */
    static BackupCipher load(Map<String, String> env, Path home, boolean create) throws IOException {
        String fromEnv = env.get(ENV);
        if (fromEnv != null && !fromEnv.isBlank()) {
            return of(fromEnv);
        }
        Path file = home.resolve(FILE);
        if (Files.exists(file)) {
            return of(Files.readString(file));
        }
        if (!create) {
            throw new IOException("the metadata backup is encrypted: set " + ENV + " or put the " + FILE + " file of the old home into "
                    + home + " before restoring");
        }
        byte[] k = new byte[32];
        new SecureRandom().nextBytes(k);
        Files.writeString(file, Base64.getEncoder().encodeToString(k) + "\n", StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        log.warn("metadata backups are encrypted with the new key {}; keep a copy away from this machine and the bucket:"
                + " a restore needs it ({} or the file in the new home)", file, ENV);
        return new BackupCipher(k);
    }

    /** The sealed form of {@code plain}, to be stored under {@code objectKey}. */
    public byte[] seal(String objectKey, byte[] plain) {
        try {
            byte[] nonce = new byte[NONCE];
            random.nextBytes(nonce);
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, nonce));
            c.updateAAD(objectKey.getBytes(StandardCharsets.UTF_8));
            byte[] sealed = c.doFinal(plain);
            byte[] out = new byte[MAGIC.length + NONCE + sealed.length];
            System.arraycopy(MAGIC, 0, out, 0, MAGIC.length);
            System.arraycopy(nonce, 0, out, MAGIC.length, NONCE);
            System.arraycopy(sealed, 0, out, MAGIC.length + NONCE, sealed.length);
            return out;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Whether {@code stored} was sealed by a backup cipher (backups made before encryption were not). */
    public static boolean sealed(byte[] stored) {
        return stored.length >= MAGIC.length && Arrays.equals(Arrays.copyOf(stored, MAGIC.length), MAGIC);
    }

    /** The plain bytes of an object read from {@code objectKey}; a backup made before encryption passes as it is. */
    public byte[] open(String objectKey, byte[] stored) throws IOException {
        if (!sealed(stored)) {
            log.warn("metadata backup object {} is not encrypted (written before backups were)", objectKey);
            return stored;
        }
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, stored, MAGIC.length, NONCE));
            c.updateAAD(objectKey.getBytes(StandardCharsets.UTF_8));
            return c.doFinal(stored, MAGIC.length + NONCE, stored.length - MAGIC.length - NONCE);
        } catch (javax.crypto.AEADBadTagException e) {
            throw new IOException("metadata backup object " + objectKey + " does not open with this backup key (another key, or altered)");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
