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
    void containersAreOxbowsAndOnlyTheUsersGroupPassesThrough() throws Exception {
        ProcessIdentity identity = TestPostgres.identity();
        assumeTrue(identity.root(), "only meaningful when the tests run as root");
        Path root = TestPostgres.scratchDir();
        try {
            Path leaf = root.resolve("a/b/pgdata");
            identity.privateDir(leaf);

            for (Path container : List.of(root.resolve("a"), root.resolve("a/b"))) {
                assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(container))).isEqualTo("rwx--x---");
                assertThat(Files.getOwner(container).getName()).isEqualTo("root");
                assertThat((Integer) Files.getAttribute(container, "unix:gid")).isEqualTo(identity.gid());
            }
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(leaf))).isEqualTo("rwx------");
            assertThat(Files.getOwner(leaf).getName()).isEqualTo("postgres");
            // an existing directory is never opened up
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(root))).isEqualTo("rwxr-xr-x");
        } finally {
            TestPostgres.deleteTree(root);
        }
    }

    @Test
    void writesFilesPrivateAndNeverThroughALinkTheUserPlanted() throws Exception {
        ProcessIdentity identity = TestPostgres.identity();
        Path root = TestPostgres.scratchDir();
        try {
            Path victim = root.resolve("victim");
            Files.writeString(victim, "untouched");
            Path planted = root.resolve("pg_hba.conf.oxbow-tmp");
            Files.createSymbolicLink(planted, victim);

            identity.writeFile(planted, "content");

            assertThat(Files.readString(victim)).isEqualTo("untouched");
            assertThat(Files.isSymbolicLink(planted)).isFalse();
            assertThat(Files.readString(planted)).isEqualTo("content");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(planted))).isEqualTo("rw-------");
        } finally {
            TestPostgres.deleteTree(root);
        }
    }
}
