package dev.oxbow.controlplane.project;

import dev.oxbow.metadata.BranchState;
import dev.oxbow.controlplane.identity.Principal;
import dev.oxbow.controlplane.resource.Specs;
import dev.oxbow.controlplane.resource.Validate;
import dev.oxbow.controlplane.testing.ServiceFixture;
import dev.oxbow.metadata.Branch;
import dev.oxbow.metadata.Endpoint;
import dev.oxbow.metadata.Operation;
import dev.oxbow.metadata.Project;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.oxbow.controlplane.testing.ApiErrors.invalid;
import static dev.oxbow.controlplane.testing.ApiErrors.refused;
import static org.assertj.core.api.Assertions.assertThat;

/** What creating and updating a project accepts, refuses and stores (the operations themselves are fakes). */
class ProjectServiceTest {
    private static final Principal CALLER = new Principal(Principal.USER, "1", "alice@example.com", "Alice", false);

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

    private static Specs.ProjectSpec spec(String displayName, Integer pgVersion, Long retention, Specs.EndpointSettings defaults) {
        return new Specs.ProjectSpec(displayName, pgVersion, retention, defaults, null, null, null, null);
    }

    private Operation create(String id, Specs.ProjectSpec spec) {
        return s.projects.create(id, spec, null, CALLER);
    }

    private Project stored(String id) {
        return s.f.store.projects().get(Project.nameOf(id)).orElseThrow();
    }

    @Test
    void unsetFieldsGetLakebaseDefaultsAndTheDefaultBranchAndComputeAreMade() {
        Operation op = create("p1", null);
        Project p = stored("p1");
        assertThat(p.displayName()).isEqualTo("p1");
        assertThat(p.pgVersion()).isEqualTo(17);
        assertThat(p.historyRetentionSeconds()).isEqualTo(604800);
        assertThat(p.defaults().minCu()).isEqualTo(0.5);
        assertThat(p.defaults().maxCu()).isEqualTo(4);
        assertThat(p.defaults().suspendTimeoutSeconds()).isEqualTo(300L);
        assertThat(p.owner()).isEqualTo("alice@example.com");

        Branch production = s.f.store.branches().get("projects/p1/branches/production").orElseThrow();
        assertThat(production.isDefault()).isTrue();
        assertThat(production.isRoot()).isTrue();
        assertThat(production.state()).isEqualTo(BranchState.INIT);
        Endpoint primary = s.f.store.endpoints().get("projects/p1/branches/production/endpoints/primary").orElseThrow();
        assertThat(primary.readWrite()).isTrue();
        assertThat(primary.noSuspension()).as("Lakebase keeps production awake").isTrue();
        assertThat(s.f.store.roles().get("projects/p1/branches/production/roles/alice-example-com")).hasValueSatisfying(r ->
                assertThat(r.membershipRoles()).containsExactly("DATABRICKS_SUPERUSER"));
        assertThat(s.f.store.databases().get("projects/p1/branches/production/databases/databricks-postgres")).isPresent();
        assertThat(op.name()).startsWith("projects/p1/operations/");
        assertThat(op.metadataType()).endsWith("ProjectOperationMetadata");
    }

    @Test
    void initialEndpointTimeoutIsKept() {
        var initial = new Specs.ProjectInitial(true, new Specs.EndpointSettings(1.0, 2.0, 600L, null, null), null);
        s.projects.create("p1", null, initial, CALLER);
        Endpoint primary = s.f.store.endpoints().get("projects/p1/branches/production/endpoints/primary").orElseThrow();
        assertThat(primary.noSuspension()).isFalse();
        assertThat(primary.suspendTimeoutSeconds()).isEqualTo(600L);
        assertThat(primary.minCu()).isEqualTo(1);
        assertThat(s.f.store.branches().get("projects/p1/branches/production").orElseThrow().isProtected()).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"P1", "1p", "p_1", "-p"})
    void projectIdFollowsThePattern(String id) {
        invalid(() -> create(id, null), "Field project_id", Validate.ID_PATTERN);
        assertThat(s.f.store.projects().all()).isEmpty();
    }

    @Test
    void projectIdIsRequired() {
        invalid(() -> create(null, null), "Field 'project_id' is required");
    }

    @Test
    void displayNameIsOneTo256Characters() {
        create("p1", spec("x".repeat(256), null, null, null));
        invalid(() -> create("p2", spec("x".repeat(257), null, null, null)), "spec.display_name", "1 to 256");
    }

    @ParameterizedTest
    @ValueSource(ints = {16, 17})
    void supportedPostgresVersions(int v) {
        create("p1", spec(null, v, null, null));
        assertThat(stored("p1").pgVersion()).isEqualTo(v);
    }

    @ParameterizedTest
    @ValueSource(ints = {15, 18, 9})
    void otherPostgresVersionsAreRefused(int v) {
        invalid(() -> create("p1", spec(null, v, null, null)), "spec.pg_version must be 16 or 17, got " + v);
    }

    @ParameterizedTest
    @ValueSource(longs = {172800, 604800, 3024000})
    void historyRetentionFromTwoToThirtyFiveDays(long seconds) {
        create("p1", spec(null, null, seconds, null));
        assertThat(stored("p1").historyRetentionSeconds()).isEqualTo(seconds);
    }

    @ParameterizedTest
    @ValueSource(longs = {0, 86400, 172799, 3024001})
    void historyRetentionOutsideTheWindowIsRefusedNamingTheBounds(long seconds) {
        invalid(() -> create("p1", spec(null, null, seconds, null)),
                "spec.history_retention_duration", "172800s (2 days)", "3024000s (35 days)", "got " + seconds + "s");
    }

    @Test
    void defaultEndpointSettingsAreValidatedUnderTheirOwnPrefix() {
        invalid(() -> create("p1", spec(null, null, null, new Specs.EndpointSettings(1.5, null, null, null, null))),
                "Field spec.default_endpoint_settings.autoscaling_limit_min_cu");
        invalid(() -> create("p1", spec(null, null, null, new Specs.EndpointSettings(null, null, 10L, null, null))),
                "Field spec.default_endpoint_settings.suspend_timeout_duration");
        invalid(() -> create("p1", spec(null, null, null, new Specs.EndpointSettings(null, null, 300L, true, null))),
                "spec.default_endpoint_settings.no_suspension", "mutually exclusive");
        invalid(() -> create("p1", spec(null, null, null, new Specs.EndpointSettings(null, null, null, null, Map.of("port", "1")))),
                "spec.default_endpoint_settings.pg_settings key 'port'", "not a setting a project may change");
    }

    @Test
    void aDefaultMaximumAloneKeepsTheSmallestMinimum() {
        create("p1", spec(null, null, null, new Specs.EndpointSettings(null, 2.0, null, null, null)));
        assertThat(stored("p1").defaults().minCu()).isEqualTo(0.5);
        assertThat(stored("p1").defaults().maxCu()).isEqualTo(2);
    }

    @Test
    void aDefaultMinimumAlonePullsTheMaximumUp() {
        create("p1", spec(null, null, null, new Specs.EndpointSettings(8.0, null, null, null, null)));
        assertThat(stored("p1").defaults().maxCu()).isEqualTo(8);
    }

    @Test
    void defaultBranchOnCreateCanOnlyBeProduction() {
        create("p1", new Specs.ProjectSpec(null, null, null, null, "projects/p1/branches/production", null, null, null));
        invalid(() -> s.projects.create("p2", new Specs.ProjectSpec(null, null, null, null, "main", null, null, null), null, CALLER),
                "spec.default_branch", "'production'");
    }

    @Test
    void duplicateIdIsAConflictAndChangesNothing() {
        create("p1", spec("first", null, null, null));
        refused(() -> create("p1", spec("second", null, null, null)), 409, "ALREADY_EXISTS", "projects/p1");
        assertThat(stored("p1").displayName()).isEqualTo("first");
        assertThat(s.f.store.operations().recent("p1", 10)).hasSize(1);
    }

    @Test
    void projectQuotaIsEnforced(@TempDir Path other) {
        s.close();
        s = new ServiceFixture(other, ServiceFixture.withProjects(1));
        create("p1", null);
        refused(() -> create("p2", null), 400, "QUOTA_EXCEEDED", "Project limit of 1");
        assertThat(s.f.store.projects().get("projects/p2")).isEmpty();
    }

    @Test
    void updateNeedsAMaskOfUpdatablePaths() {
        create("p1", null);
        invalid(() -> s.projects.update("projects/p1", spec("x", null, null, null), Set.of()), "update_mask");
        invalid(() -> s.projects.update("projects/p1", spec("x", null, null, null), Set.of("spec.owner")),
                "update_mask path 'spec.owner' cannot be updated", "spec.display_name");
    }

    @Test
    void updateChangesOnlyTheMaskedPaths() {
        create("p1", spec("old", null, null, null));
        s.f.clock.advance(java.time.Duration.ofMinutes(1));
        s.projects.update("projects/p1", spec("new", null, 172800L, null), Set.of("spec.display_name"));
        Project p = stored("p1");
        assertThat(p.displayName()).isEqualTo("new");
        assertThat(p.historyRetentionSeconds()).isEqualTo(604800);
        assertThat(p.updateTime()).isAfter(p.createTime());
    }

    @Test
    void maskedPathMissingFromTheBodyIsRefused() {
        create("p1", null);
        invalid(() -> s.projects.update("projects/p1", spec(null, null, null, null), Set.of("spec.display_name")),
                "update_mask names spec.display_name but the body does not set it.");
        invalid(() -> s.projects.update("projects/p1", spec(null, null, null, null), Set.of("spec.history_retention_duration")),
                "spec.history_retention_duration");
    }

    @Test
    void retentionUpdateIsValidated() {
        create("p1", null);
        invalid(() -> s.projects.update("projects/p1", spec(null, null, 3600L, null), Set.of("spec.history_retention_duration")),
                "spec.history_retention_duration", "got 3600s");
        s.projects.update("projects/p1", spec(null, null, 3024000L, null), Set.of("spec.history_retention_duration"));
        assertThat(stored("p1").historyRetentionSeconds()).isEqualTo(3024000);
    }

    @Test
    void postgresVersionCannotChange() {
        create("p1", spec(null, 16, null, null));
        invalid(() -> s.projects.update("projects/p1", spec(null, 17, null, null), Set.of("spec.pg_version")),
                "spec.pg_version cannot change", "it is 16");
        s.projects.update("projects/p1", spec(null, 16, null, null), Set.of("spec.pg_version"));
        assertThat(stored("p1").pgVersion()).isEqualTo(16);
    }

    @Test
    void suspensionPathKeepsTheDefaultSizes() {
        create("p1", spec(null, null, null, new Specs.EndpointSettings(1.0, 2.0, null, null, null)));
        s.projects.update("projects/p1", spec(null, null, null, new Specs.EndpointSettings(4.0, 8.0, null, true, null)),
                Set.of("spec.project_default_settings.suspension"));
        Project p = stored("p1");
        assertThat(p.defaults().minCu()).isEqualTo(1);
        assertThat(p.defaults().maxCu()).isEqualTo(2);
        assertThat(p.defaults().noSuspension()).isTrue();
    }

    @Test
    void emptyTagListWithItsPathClearsTheTags() {
        create("p1", new Specs.ProjectSpec(null, null, null, null, null, null, List.of(new Project.Tag("team", "data")), null));
        assertThat(stored("p1").customTags()).hasSize(1);
        s.projects.update("projects/p1", new Specs.ProjectSpec(null, null, null, null, null, null, List.of(), null), Set.of("spec.custom_tags"));
        assertThat(stored("p1").customTags()).isEmpty();
    }

    @Test
    void unknownOrMalformedProjectsAreNotFoundOrInvalid() {
        refused(() -> s.projects.get("projects/nope"), 404, "NOT_FOUND", "project id not found: projects/nope");
        invalid(() -> s.projects.get("projects/p1/branches/b"), "expected projects/{project}");
    }

    @Test
    void deleteIsRefusedWhileABranchIsProtectedAndSoftDeletesOtherwise() {
        s.projects.create("p1", null, new Specs.ProjectInitial(true, null, null), CALLER);
        refused(() -> s.projects.delete("projects/p1", false), 400, "BAD_REQUEST", "branch 'production' is protected", "spec.is_protected");
        create("p2", null);
        s.projects.delete("projects/p2", false);
        Project deleted = stored("p2");
        assertThat(deleted.deleted()).isTrue();
        assertThat(deleted.purgeTime()).isEqualTo(deleted.deleteTime().plus(java.time.Duration.ofDays(7)));
        refused(() -> s.projects.get("projects/p2"), 404, "NOT_FOUND", "projects/p2");
        refused(() -> s.projects.delete("projects/p2", false), 404, "NOT_FOUND", "projects/p2");
    }

    @Test
    void onlyADeletedProjectCanBeUndeleted() {
        create("p1", null);
        refused(() -> s.projects.undelete("projects/p1"), 400, "INVALID_STATE", "is not deleted");
        s.projects.delete("projects/p1", false);
        s.projects.undelete("projects/p1");
        assertThat(stored("p1").deleted()).isFalse();
    }

    @Test
    void listHidesDeletedProjectsUnlessAsked() {
        create("p1", null);
        create("p2", null);
        s.projects.delete("projects/p2", false);
        assertThat(s.projects.list(null, null, false).items()).extracting(Project::projectId).containsExactly("p1");
        assertThat(s.projects.list(null, null, true).items()).extracting(Project::projectId).containsExactly("p1", "p2");
    }
}
