package dev.oxbow.compute;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** One syncfs per path's file system; a path it cannot open is an error, not a silent skip. */
class FileSystemSyncTest {
    @Test
    void syncsTheFileSystemsOfExistingPathsAndFailsOnAMissingOne(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("written"), "data");
        assertThatCode(() -> FileSystemSync.syncfs(dir, file)).doesNotThrowAnyException();
        assertThatThrownBy(() -> FileSystemSync.syncfs(dir, dir.resolve("missing")))
                .isInstanceOf(IOException.class).hasMessageContaining("missing");
    }
}
