package dev.oxbow.controlplane.identity;

import dev.oxbow.controlplane.testing.Fixture;
import dev.oxbow.controlplane.identity.AccessControl.Level;
import dev.oxbow.metadata.Group;
import dev.oxbow.metadata.Permission;
import dev.oxbow.metadata.Project;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

import static dev.oxbow.controlplane.testing.ApiErrors.refused;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

/** Who may use or manage a project: grants in a real metadata store, checked for every kind of principal. */
class AccessControlTest {
    private static final Principal OWNER = user("1", Fixture.OWNER, false);
    private static final Principal ADMIN = user("2", "admin@example.com", true);
    private static final Principal ALICE = user("3", "alice@example.com", false);
    private static final Principal BOB = user("4", "bob@example.com", false);
    private static final Principal ROBOT = new Principal(Principal.SERVICE_PRINCIPAL, "5", "6f1c0d3e-app-id", "etl robot", false);

    @TempDir
    Path dir;

    private Fixture f;
    private AccessControl access;
    private Project project;

    private static Principal user(String id, String name, boolean admin) {
        return new Principal(Principal.USER, id, name, name, admin);
    }

    @BeforeEach
    void setUp() {
        f = new Fixture(dir);
        access = new AccessControl(f.store);
        project = f.project("p1");
    }

    @AfterEach
    void tearDown() {
        f.close();
    }

    private void grant(String kind, String principal, Level level) {
        f.store.permissions().put(new Permission(project.projectId(), kind, principal, level.name()));
    }

    @Test
    void ownerAndAdminsManage() {
        assertThat(access.level(OWNER, project)).isEqualTo(Level.CAN_MANAGE);
        assertThat(access.level(ADMIN, project)).isEqualTo(Level.CAN_MANAGE);
        assertThatCode(() -> access.requireManage(OWNER, project)).doesNotThrowAnyException();
        assertThatCode(() -> access.requireManage(ADMIN, project)).doesNotThrowAnyException();
    }

    @Test
    void strangersDoNotSeeTheProjectAtAll() {
        assertThat(access.level(ALICE, project)).isEqualTo(Level.NONE);
        refused(() -> access.requireUse(ALICE, project), 404, "NOT_FOUND", "project id not found: projects/p1");
        refused(() -> access.requireManage(ALICE, project), 404, "NOT_FOUND", "projects/p1");
    }

    @Test
    void canUseReadsButManagingIsForbiddenWithTheWayOut() {
        grant(Principal.USER, ALICE.name(), Level.CAN_USE);
        assertThat(access.level(ALICE, project)).isEqualTo(Level.CAN_USE);
        assertThatCode(() -> access.requireUse(ALICE, project)).doesNotThrowAnyException();
        refused(() -> access.requireManage(ALICE, project), 403, "PERMISSION_DENIED",
                "alice@example.com has CAN_USE on projects/p1", "needs CAN_MANAGE", "ask an owner");
    }

    @Test
    void canManageManages() {
        grant(Principal.USER, ALICE.name(), Level.CAN_MANAGE);
        assertThatCode(() -> access.requireManage(ALICE, project)).doesNotThrowAnyException();
        assertThat(access.level(BOB, project)).isEqualTo(Level.NONE);
    }

    @Test
    void grantsApplyToMembersOfAGroupOnly() {
        f.store.identities().putGroup(new Group("g1", "data-engineers", List.of(ALICE.id(), ROBOT.id()), Instant.now()));
        grant(Principal.GROUP, "data-engineers", Level.CAN_USE);
        assertThat(access.level(ALICE, project)).isEqualTo(Level.CAN_USE);
        assertThat(access.level(ROBOT, project)).isEqualTo(Level.CAN_USE);
        assertThat(access.level(BOB, project)).isEqualTo(Level.NONE);
    }

    @Test
    void theHighestApplicableGrantWins() {
        f.store.identities().putGroup(new Group("g1", "admins-of-p1", List.of(ALICE.id()), Instant.now()));
        grant(Principal.USER, ALICE.name(), Level.CAN_USE);
        grant(Principal.GROUP, "admins-of-p1", Level.CAN_MANAGE);
        assertThat(access.level(ALICE, project)).isEqualTo(Level.CAN_MANAGE);
    }

    @Test
    void aGrantNamesItsKindOfPrincipal() {
        // a user whose name happens to equal a service principal's application id gets nothing from its grant
        grant(Principal.SERVICE_PRINCIPAL, ROBOT.name(), Level.CAN_MANAGE);
        Principal lookalike = user("9", ROBOT.name(), false);
        assertThat(access.level(ROBOT, project)).isEqualTo(Level.CAN_MANAGE);
        assertThat(access.level(lookalike, project)).isEqualTo(Level.NONE);
        // nor does a group's display name act as a user name
        grant(Principal.GROUP, BOB.name(), Level.CAN_MANAGE);
        assertThat(access.level(BOB, project)).isEqualTo(Level.NONE);
    }

    @Test
    void grantsAreScopedToTheirProject() {
        Project other = f.project("p2");
        grant(Principal.USER, ALICE.name(), Level.CAN_MANAGE);
        assertThat(access.level(ALICE, other)).isEqualTo(Level.NONE);
    }

    @Test
    void revokedGrantTakesEffectAtOnce() {
        grant(Principal.USER, ALICE.name(), Level.CAN_MANAGE);
        f.store.permissions().delete(project.projectId(), Principal.USER, ALICE.name());
        assertThat(access.level(ALICE, project)).isEqualTo(Level.NONE);
    }

    @Test
    void adminOnlyActions() {
        assertThatCode(() -> access.requireAdmin(ADMIN, "create users")).doesNotThrowAnyException();
        refused(() -> access.requireAdmin(OWNER, "create users"), 403, "PERMISSION_DENIED", "Only workspace admins can create users.");
    }
}
