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
    /** This run's home: its users are told apart from those of every other home on the machine. */
    private static final String HOME = "test" + UUID.randomUUID().toString().substring(0, 8);

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
        ProcessIdentities identities = ProcessIdentities.perTenant(HOME);
        String a = "t-" + UUID.randomUUID().toString().substring(0, 8);
        String b = "t-" + UUID.randomUUID().toString().substring(0, 8);
        try {
            ProcessIdentity ia = identities.forTenant(a);
            ProcessIdentity ib = identities.forTenant(b);
            assertThat(ia.uid()).isNotEqualTo(ib.uid()).isNotZero();
            assertThat(ia.gid()).isNotEqualTo(ib.gid());
            assertThat(identities.forTenant(a)).isSameAs(ia);
            assertThat(OsUsers.run("getent", "passwd", ia.user())).endsWith(":/nonexistent:/usr/sbin/nologin")
                    .contains(":oxbow tenant " + a + " home " + HOME + ":");
            // the processes keep only the traversal group besides their own
            assertThat(ia.wrap(List.of("x"))).noneMatch(s -> s.equals("--clear-groups")).anyMatch(s -> s.startsWith("--groups="));
            // a fresh registry (a restarted Oxbow) finds the same user again
            assertThat(ProcessIdentities.perTenant(HOME).forTenant(a).uid()).isEqualTo(ia.uid());

            // another home never adopts nor removes it
            assertThatThrownBy(() -> ProcessIdentities.perTenant("otherhome").forTenant(a)).hasMessageContaining("not Oxbow's user");
            assertThatThrownBy(() -> ProcessIdentities.perTenant("otherhome").remove(a)).hasMessageContaining("not removed");

            identities.remove(a);
            assertThatThrownBy(() -> OsUsers.run("getent", "passwd", ia.user())).isInstanceOf(OsUsers.ExitCode.class);
            assertThatThrownBy(() -> OsUsers.run("getent", "group", ia.user())).as("its group goes too").isInstanceOf(OsUsers.ExitCode.class);
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
            assertThatThrownBy(() -> ProcessIdentities.perTenant(HOME).forTenant(tenant)).isInstanceOf(ComputeException.class)
                    .hasMessageContaining("not Oxbow's user");
            assertThatThrownBy(() -> ProcessIdentities.perTenant(HOME).remove(tenant)).hasMessageContaining("not removed");
        } finally {
            OsUsers.run("userdel", name);
        }
    }

    @Test
    void theSweepRemovesOnlyThisHomesUsersOfTenantsItNoLongerHas() throws Exception {
        assumeTrue(OsUsers.effectiveUid() == 0, "only meaningful when the tests run as root");
        ProcessIdentities identities = ProcessIdentities.perTenant(HOME);
        ProcessIdentities foreignHome = ProcessIdentities.perTenant(HOME + "x");
        String orphan = "t-" + UUID.randomUUID().toString().substring(0, 8);
        String kept = "t-" + UUID.randomUUID().toString().substring(0, 8);
        String foreign = "t-" + UUID.randomUUID().toString().substring(0, 8);
        String legacy = "t-" + UUID.randomUUID().toString().substring(0, 8);
        try {
            identities.forTenant(orphan);
            identities.forTenant(kept);
            foreignHome.forTenant(foreign);
            // made before users recorded their home: nobody can tell whose it is, so no sweep touches it
            OsUsers.run("useradd", "--system", "--no-create-home", "--user-group", "--comment", "oxbow tenant " + legacy,
                    ProcessIdentities.userNameOf(legacy));

            assertThat(identities.sweep(java.util.Set.of(kept))).containsExactly(ProcessIdentities.userNameOf(orphan));

            assertThatThrownBy(() -> OsUsers.run("getent", "passwd", ProcessIdentities.userNameOf(orphan))).isInstanceOf(OsUsers.ExitCode.class);
            assertThatThrownBy(() -> OsUsers.run("getent", "group", ProcessIdentities.userNameOf(orphan))).isInstanceOf(OsUsers.ExitCode.class);
            for (String survivor : List.of(kept, foreign, legacy)) {
                assertThat(OsUsers.run("getent", "passwd", ProcessIdentities.userNameOf(survivor))).contains("oxbow tenant " + survivor);
            }
            // the foreign home's own sweep with nothing kept takes exactly its user
            assertThat(foreignHome.sweep(java.util.Set.of())).containsExactly(ProcessIdentities.userNameOf(foreign));
        } finally {
            identities.remove(orphan);
            identities.remove(kept);
            identities.remove(legacy);
            foreignHome.remove(foreign);
        }
    }

    @Test
    void traversalIsGrantedToTheComputesGroupOnlyNeverToEveryone() throws Exception {
        assumeTrue(OsUsers.effectiveUid() == 0 && OsUsers.find("setfacl") != null, "needs root and setfacl");
        ProcessIdentities identities = ProcessIdentities.perTenant(HOME);
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
