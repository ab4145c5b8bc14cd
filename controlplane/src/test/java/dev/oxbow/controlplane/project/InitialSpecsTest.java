package dev.oxbow.controlplane.project;

import dev.oxbow.controlplane.identity.Principal;
import dev.oxbow.controlplane.resource.Specs;
import dev.oxbow.controlplane.testing.ServiceFixture;
import dev.oxbow.metadata.Database;
import dev.oxbow.metadata.Role;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static dev.oxbow.controlplane.testing.ApiErrors.invalid;
import static org.assertj.core.api.Assertions.assertThat;

/** Project.initial_role_spec and initial_database_spec give the first branch that role and database (they were dropped). */
class InitialSpecsTest {
    private static final Principal CALLER = new Principal(Principal.USER, "1", "owner@example.com", "Owner", false);

    @TempDir
    Path dir;

    private ServiceFixture s;

    @BeforeEach
    void setUp() {
        s = new ServiceFixture(dir);
    }

    @AfterEach
    void tearDown() {
        s.close();
    }

    private static Specs.ProjectInitial initial(Specs.RoleSpec role, Specs.DatabaseSpec database) {
        return new Specs.ProjectInitial(null, null, null, role, database);
    }

    @Test
    void theFirstBranchGetsTheInitialRoleAndADatabaseItOwns() {
        s.projects.create("p1", null, initial(new Specs.RoleSpec("app_owner", null, null, null, null, true, null),
                new Specs.DatabaseSpec("app", "app_owner")), CALLER);
        var roles = s.f.store.roles().list("projects/p1/branches/production");
        assertThat(roles).extracting(Role::postgresRole).containsExactlyInAnyOrder("owner@example.com", "app_owner");
        Role app = roles.stream().filter(r -> r.postgresRole().equals("app_owner")).findFirst().orElseThrow();
        assertThat(app.createdb()).isTrue();
        assertThat(app.authMethod()).isEqualTo("PG_PASSWORD_SCRAM_SHA_256");
        var databases = s.f.store.databases().list("projects/p1/branches/production");
        assertThat(databases).extracting(Database::postgresDatabase).containsExactlyInAnyOrder("databricks_postgres", "app");
        assertThat(databases.stream().filter(d -> d.postgresDatabase().equals("app")).findFirst().orElseThrow().ownerRoleId())
                .isEqualTo(app.roleId());
    }

    @Test
    void aDatabaseWithoutARoleBelongsToTheProjectOwner() {
        s.projects.create("p1", null, initial(null, new Specs.DatabaseSpec("app", null)), CALLER);
        Database app = s.f.store.databases().list("projects/p1/branches/production").stream()
                .filter(d -> d.postgresDatabase().equals("app")).findFirst().orElseThrow();
        Role owner = s.f.store.roles().get("projects/p1/branches/production/roles/" + app.ownerRoleId()).orElseThrow();
        assertThat(owner.postgresRole()).isEqualTo("owner@example.com");
    }

    @Test
    void badInitialSpecsAreRefusedAndCreateNothing() {
        invalid(() -> s.projects.create("p1", null, initial(null, new Specs.DatabaseSpec("app", "nobody")), CALLER), "initial_database_spec.role");
        invalid(() -> s.projects.create("p1", null, initial(new Specs.RoleSpec("owner@example.com", null, null, null, null, null, null), null), CALLER),
                "initial_role_spec.postgres_role");
        invalid(() -> s.projects.create("p1", null, initial(new Specs.RoleSpec("pg_evil", null, null, null, null, null, null), null), CALLER),
                "reserved");
        invalid(() -> s.projects.create("p1", null, initial(null, new Specs.DatabaseSpec("template1", null)), CALLER), "reserved");
        assertThat(s.f.store.projects().get("projects/p1")).isEmpty();
    }
}
