package dev.oxbow.compute;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class ProcessIdentitiesTest {

    @Test
    void userNamesAreStableShortAndDistinctPerTenant() {
        assertThat(ProcessIdentities.userNameOf("proj-quiet-river-a1b2c3d4")).isEqualTo(ProcessIdentities.userNameOf("proj-quiet-river-a1b2c3d4"))
                .startsWith("oxbow-").hasSize(18).isNotEqualTo(ProcessIdentities.userNameOf("proj-quiet-river-a1b2c3d5"));
        assertThatThrownBy(() -> ProcessIdentities.userNameOf("../etc")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ProcessIdentities.userNameOf("a:b")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void asRootEachTenantGetsItsOwnUserWhichIsRemovedWithIt() throws Exception {
        assumeTrue(OsUsers.effectiveUid() == 0, "only meaningful when the tests run as root");
        ProcessIdentities identities = ProcessIdentities.perTenant();
        String a = "t-" + UUID.randomUUID().toString().substring(0, 8);
        String b = "t-" + UUID.randomUUID().toString().substring(0, 8);
        try {
            ProcessIdentity ia = identities.forTenant(a);
            ProcessIdentity ib = identities.forTenant(b);
            assertThat(ia.uid()).isNotEqualTo(ib.uid()).isNotZero();
            assertThat(ia.gid()).isNotEqualTo(ib.gid());
            assertThat(identities.forTenant(a)).isSameAs(ia);
            assertThat(OsUsers.run("getent", "passwd", ia.user())).endsWith(":/nonexistent:/usr/sbin/nologin").contains("oxbow tenant " + a);
            // the processes keep only the traversal group besides their own
            assertThat(ia.wrap(List.of("x"))).noneMatch(s -> s.equals("--clear-groups")).anyMatch(s -> s.startsWith("--groups="));
            // a fresh registry (a restarted Oxbow) finds the same user again
            assertThat(ProcessIdentities.perTenant().forTenant(a).uid()).isEqualTo(ia.uid());

            identities.remove(a);
            assertThatThrownBy(() -> OsUsers.run("getent", "passwd", ia.user())).isInstanceOf(OsUsers.ExitCode.class);
            identities.remove(a); // idempotent
        } finally {
            identities.remove(a);
            identities.remove(b);
        }
    }

    @Test
    void aForeignUserWithTheSameNameIsNeverAdopted() throws Exception {
        assumeTrue(OsUsers.effectiveUid() == 0, "only meaningful when the tests run as root");
        String tenant = "t-" + UUID.randomUUID().toString().substring(0, 8);
        String name = ProcessIdentities.userNameOf(tenant);
        OsUsers.run("useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "--comment", "someone else", name);
        try {
            assertThatThrownBy(() -> ProcessIdentities.perTenant().forTenant(tenant)).isInstanceOf(ComputeException.class)
                    .hasMessageContaining("not Oxbow's user");
            assertThatThrownBy(() -> ProcessIdentities.perTenant().remove(tenant)).hasMessageContaining("not removed");
        } finally {
            OsUsers.run("userdel", name);
        }
    }

    @Test
    void traversalIsGrantedToTheComputesGroupOnlyNeverToEveryone() throws Exception {
        assumeTrue(OsUsers.effectiveUid() == 0 && OsUsers.find("setfacl") != null, "needs root and setfacl");
        ProcessIdentities identities = ProcessIdentities.perTenant();
        Path root = TestPostgres.scratchDir();
        try {
            Path closed = root.resolve("closed");
            Files.createDirectory(closed, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            Path home = closed.resolve("home");
            identities.sharedDir(home);
            identities.grantTraversal(home);

            // with an ACL the group bits show its mask; what matters is that others still get nothing
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(closed))).endsWith("---");
            assertThat(OsUsers.run("getfacl", "-c", closed.toString())).contains("group:" + ProcessIdentities.COMPUTES_GROUP + ":--x");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(home))).isEqualTo("rwx--x---");
            assertThat(Files.readAttributes(home, java.nio.file.attribute.PosixFileAttributes.class).group().getName())
                    .isEqualTo(ProcessIdentities.COMPUTES_GROUP);
        } finally {
            TestPostgres.deleteTree(root);
        }
    }
}
