package dev.oxbow.controlplane.history;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The metadata backup's encryption: what the bucket holds reveals nothing and opens only with the key, under its own name. */
class BackupCipherTest {
    @TempDir
    Path home;

    @Test
    void sealedObjectsOpenOnlyWithTheKeyAndUnderTheirOwnName() throws Exception {
        BackupCipher cipher = BackupCipher.load(Map.of(), home, true);
        assertThat(Files.getPosixFilePermissions(home.resolve(BackupCipher.FILE))).hasSize(2); // rw-------
        byte[] secret = "role password s3cr3t".getBytes(StandardCharsets.UTF_8);
        byte[] sealed = cipher.seal("metadata/oxbow-1.db", secret);
        assertThat(BackupCipher.sealed(sealed)).isTrue();
        assertThat(new String(sealed, StandardCharsets.ISO_8859_1)).doesNotContain("s3cr3t");
        // the same home (or the key file copied into a new one) opens it
        assertThat(BackupCipher.load(Map.of(), home, false).open("metadata/oxbow-1.db", sealed)).isEqualTo(secret);
        // another key does not, nor does the object under another name
        BackupCipher other = BackupCipher.of(java.util.Base64.getEncoder().encodeToString(new byte[32]));
        assertThatThrownBy(() -> other.open("metadata/oxbow-1.db", sealed)).hasMessageContaining("does not open");
        assertThatThrownBy(() -> cipher.open("metadata/home/admin-token", sealed)).hasMessageContaining("does not open");
        // flipping a byte is detected
        sealed[sealed.length - 1] ^= 1;
        assertThatThrownBy(() -> cipher.open("metadata/oxbow-1.db", sealed)).hasMessageContaining("does not open");
    }

    @Test
    void aRestoreWithoutTheKeySaysWhereToPutIt(@TempDir Path emptyHome) {
        assertThatThrownBy(() -> BackupCipher.load(Map.of(), emptyHome, false)).hasMessageContaining(BackupCipher.ENV)
                .hasMessageContaining(BackupCipher.FILE);
    }

    @Test
    void theEnvironmentKeyWinsOverTheFile() throws Exception {
        String key = java.util.Base64.getEncoder().encodeToString("0123456789abcdef0123456789abcdef".getBytes());
        BackupCipher fromEnv = BackupCipher.load(Map.of(BackupCipher.ENV, key), home, true);
        assertThat(Files.exists(home.resolve(BackupCipher.FILE))).isFalse();
        assertThat(BackupCipher.of(key).open("k", fromEnv.seal("k", new byte[] {1, 2}))).containsExactly(1, 2);
    }
}
