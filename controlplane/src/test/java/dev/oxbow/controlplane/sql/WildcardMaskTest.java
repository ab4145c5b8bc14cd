package dev.oxbow.controlplane.sql;

import dev.oxbow.controlplane.operation.OperationExecutor;
import dev.oxbow.controlplane.operation.OperationResult;
import dev.oxbow.controlplane.resource.Specs;
import dev.oxbow.controlplane.testing.ServiceFixture;
import dev.oxbow.metadata.Branch;
import dev.oxbow.metadata.Project;
import dev.oxbow.metadata.Role;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code update_mask=*} on projects, branches and roles means "every field the body sets" (the SDK: the wildcard
 * "auto-excludes empty" fields); it used to name every updatable path and then refuse the ones the body left out.
 */
class WildcardMaskTest {
    @TempDir
    Path dir;

    private ServiceFixture s;
    private Project project;
    private Branch production;

    @BeforeEach
    void setUp() {
        s = new ServiceFixture(dir);
        project = s.f.project("p1");
        production = s.f.rootBranch(project, "production");
        s.f.primary(project, production, 0.5, 4, 300, dev.oxbow.metadata.EndpointState.ACTIVE);
    }

    @AfterEach
    void tearDown() {
        s.close();
    }

    @Test
    void aProjectUpdateWithTheWildcardChangesOnlyWhatTheBodySets() {
        s.projects.update("projects/p1", new Specs.ProjectSpec("Renamed", null, null, null, null, null, List.of(), null), Set.of("*"));
        Project after = s.f.store.projects().get("projects/p1").orElseThrow();
        assertThat(after.displayName()).isEqualTo("Renamed");
        assertThat(after.historyRetentionSeconds()).isEqualTo(project.historyRetentionSeconds());
        assertThat(after.defaultBranchId()).isEqualTo(project.defaultBranchId());
        assertThat(after.defaults()).isEqualTo(project.defaults());
    }

    @Test
    void aBranchUpdateWithTheWildcardLeavesTheExpiryAlone() {
        s.branches.update(production.name(), new Specs.BranchSpec(null, null, null, true, null, null, null), Set.of("*"));
        Branch after = s.f.store.branches().get(production.name()).orElseThrow();
        assertThat(after.isProtected()).isTrue();
        assertThat(after.expireTime()).isNull();
    }

    @Test
    void aRoleUpdateWithTheWildcardKeepsItsAuthMethod() {
        Role role = new Role("p1", "production", "app", s.f.clock.instant(), s.f.clock.instant(), "app", null, "PG_PASSWORD_SCRAM_SHA_256",
                List.of(), false, false, false, null);
        s.f.store.roles().insert(role);
        try (OperationExecutor ops = new OperationExecutor(s.f.store, Map.of(dev.oxbow.metadata.OperationKind.UPDATE_ROLE, (op, ctx) -> OperationResult.empty()),
                s.f.clock, s.f.metrics)) {
            RoleService roles = new RoleService(s.f.store, ops, s.resources, s.f.limits, s.f.clock);
            roles.update(role.name(), new Specs.RoleSpec(null, null, null, null, null, true, null), Set.of("*"));
        }
        Role after = s.f.store.roles().get(role.name()).orElseThrow();
        assertThat(after.createdb()).isTrue();
        assertThat(after.authMethod()).isEqualTo("PG_PASSWORD_SCRAM_SHA_256");
        assertThat(after.bypassrls()).isFalse();
    }
}
