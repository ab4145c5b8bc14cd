package dev.oxbow.compute;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class ProcessIdentityTest {

    @Test
    void asRootPostgresRunsAsTheUnprivilegedUser() throws Exception {
        ProcessIdentity identity = TestPostgres.identity();
        assumeTrue(identity.root(), "only meaningful when the tests run as root");
        assertThat(identity.user()).isEqualTo("postgres");
        List<String> wrapped = identity.wrap(List.of("/x/postgres", "-D", "/d"));
        assertThat(wrapped.getFirst()).endsWith("setpriv");
        assertThat(wrapped).contains("--clear-groups").anyMatch(a -> a.startsWith("--reuid=")).anyMatch(a -> a.startsWith("--regid="))
                .endsWith("--", "/x/postgres", "-D", "/d");
        assertThatThrownBy(() -> ProcessIdentity.detect("no-such-user-oxbow")).isInstanceOf(ComputeException.class)
                .hasMessageContaining("useradd");
    }

    @Test
    void makesOnlyTheMissingSearchBitsTraversable() throws Exception {
        ProcessIdentity identity = TestPostgres.identity();
        assumeTrue(identity.root(), "only meaningful when the tests run as root");
        Path root = TestPostgres.scratchDir();
        try {
            Path closed = root.resolve("closed");
            Path open = closed.resolve("open");
            Path leaf = open.resolve("leaf");
            Files.createDirectories(leaf);
            Files.setPosixFilePermissions(closed, PosixFilePermissions.fromString("rwx------"));
            Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxr-x---"));
            Files.setPosixFilePermissions(leaf, PosixFilePermissions.fromString("rwxr-xr-x"));

            identity.ensureTraversable(leaf.resolve("not-yet"));

            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(closed))).isEqualTo("rwx-----x");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(open))).isEqualTo("rwxr-x--x");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(leaf))).isEqualTo("rwxr-xr-x");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(root))).isEqualTo("rwxr-xr-x");

            // a directory the postgres user owns needs no bit for others
            Path owned = root.resolve("owned");
            identity.privateDir(owned);
            identity.ensureTraversable(owned);
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(owned))).isEqualTo("rwx------");
            assertThat(Files.getOwner(owned).getName()).isEqualTo("postgres");
        } finally {
            TestPostgres.deleteTree(root);
        }
    }
}
