package dev.oxbow.controlplane.branch;

import dev.oxbow.metadata.BranchState;
import dev.oxbow.metadata.EndpointState;
import dev.oxbow.controlplane.resource.ApiException;
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

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;

import static dev.oxbow.controlplane.testing.ApiErrors.invalid;
import static dev.oxbow.controlplane.testing.ApiErrors.refused;
import static org.assertj.core.api.Assertions.assertThat;

/** What creating, updating and deleting a branch accepts and refuses: ids, expiry, points in time, protection. */
class BranchServiceTest {
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
        s.f.primary(project, production, 0.5, 4, 300, EndpointState.ACTIVE);
    }

    @AfterEach
    void tearDown() {
        s.close();
    }

    private static Specs.BranchSpec noExpiry() {
        return new Specs.BranchSpec(null, null, null, null, null, null, true);
    }

    private static Specs.BranchSpec ttl(long seconds) {
        return new Specs.BranchSpec(null, null, null, null, seconds, null, null);
    }

    private Operation create(String id, Specs.BranchSpec spec) {
        return s.branches.create("projects/p1", id, spec, false);
    }

    private Branch stored(String id) {
        return s.f.store.branches().get(Branch.nameOf("p1", id)).orElseThrow();
    }

    @Test
    void newBranchComesFromTheDefaultBranchWithItsOwnPrimary() {
        Operation op = create("dev", noExpiry());
        Branch dev = stored("dev");
        assertThat(dev.sourceBranchId()).isEqualTo("production");
        assertThat(dev.isDefault()).isFalse();
        assertThat(dev.expireTime()).isNull();
        assertThat(dev.state()).isEqualTo(BranchState.INIT);
        assertThat(s.f.store.endpoints().list(dev.name())).singleElement().satisfies(e -> {
            assertThat(e.endpointId()).isEqualTo("primary");
            assertThat(e.readWrite()).isTrue();
        });
        assertThat(op.name()).startsWith("projects/p1/branches/dev/operations/");
        assertThat(op.request()).isNull();
    }

    @Test
    void branchIdFollowsThePattern() {
        invalid(() -> create("Dev", noExpiry()), "Field branch_id", Validate.ID_PATTERN);
        invalid(() -> create(null, noExpiry()), "Field 'branch_id' is required");
    }

    @Test
    void parentMustBeALiveProject() {
        refused(() -> s.branches.create("projects/nope", "dev", noExpiry(), false), 404, "NOT_FOUND", "projects/nope");
    }

    @Test
    void duplicateIdIsAConflict() {
        create("dev", noExpiry());
        refused(() -> create("dev", noExpiry()), 409, "ALREADY_EXISTS", "projects/p1/branches/dev");
    }

    @Test
    void ttlSetsTheExpiryFromNow() {
        create("dev", ttl(3600));
        assertThat(stored("dev").expireTime()).isEqualTo(s.f.clock.instant().plusSeconds(3600));
    }

    @Test
    void expiryIsRequiredAndExactlyOne() {
        invalid(() -> create("dev", new Specs.BranchSpec(null, null, null, null, null, null, null)),
                "Set exactly one of spec.ttl, spec.expire_time or spec.no_expiry=true");
        invalid(() -> create("dev", new Specs.BranchSpec(null, null, null, null, 3600L, null, true)),
                "spec.ttl, spec.expire_time and spec.no_expiry are mutually exclusive");
        invalid(() -> create("dev", new Specs.BranchSpec(null, null, null, null, 3600L, s.f.clock.instant().plusSeconds(60), null)),
                "mutually exclusive");
    }

    @Test
    void noExpiryMustBeTrue() {
        invalid(() -> create("dev", new Specs.BranchSpec(null, null, null, null, null, null, false)), "spec.no_expiry must be true");
    }

    @Test
    void ttlMustBePositiveAndAtMostThirtyDays() {
        invalid(() -> create("dev", ttl(0)), "Field spec.ttl must be positive, got 0s.");
        invalid(() -> create("dev", ttl(-5)), "spec.ttl must be positive");
        create("max", ttl(30L * 86400));
        invalid(() -> create("dev", ttl(30L * 86400 + 1)), "at most 30 days", "2592000s");
    }

    @Test
    void expireTimeMustBeInTheFuture() {
        invalid(() -> create("dev", new Specs.BranchSpec(null, null, null, null, null, s.f.clock.instant(), null)),
                "Field spec.expire_time must be in the future");
        create("dev", new Specs.BranchSpec(null, null, null, null, null, s.f.clock.instant().plusSeconds(1), null));
    }

    @Test
    void protectedBranchesCannotExpireAndAreLimited() {
        invalid(() -> create("dev", new Specs.BranchSpec(null, null, null, true, 3600L, null, null)), "Protected branches cannot expire");
        create("safe", new Specs.BranchSpec(null, null, null, true, null, null, true));
        refused(() -> create("safe2", new Specs.BranchSpec(null, null, null, true, null, null, true)), 400, "QUOTA_EXCEEDED",
                "already has 1 protected branch(es), the limit is 1");
    }

    @Test
    void sourceMustBeABranchOfTheSameProject() {
        s.f.project("p2");
        invalid(() -> create("dev", new Specs.BranchSpec("projects/p2/branches/production", null, null, null, null, null, true)),
                "Field spec.source_branch must be a branch of projects/p1");
        refused(() -> create("dev", new Specs.BranchSpec("nope", null, null, null, null, null, true)), 404, "NOT_FOUND",
                "projects/p1/branches/nope");
    }

    @Test
    void anExpiringBranchCannotHaveChildren() {
        create("temp", ttl(3600));
        invalid(() -> create("child", new Specs.BranchSpec("temp", null, null, null, null, null, true)),
                "projects/p1/branches/temp expires at", "no_expiry");
    }

    @Test
    void pointInTimeIsAnLsnOrATimeNotBoth() {
        invalid(() -> create("dev", new Specs.BranchSpec(null, "0/16B3748", s.f.clock.instant(), null, null, null, true)),
                "spec.source_branch_lsn and spec.source_branch_time are mutually exclusive");
        invalid(() -> create("dev", new Specs.BranchSpec(null, "16B3748", null, null, null, null, true)),
                "Field spec.source_branch_lsn must be an LSN like 0/16B3748, got '16B3748'.");
    }

    @Test
    void pointInTimeMustBeInsideTheRestoreWindow() {
        Instant now = s.f.clock.instant();
        invalid(() -> create("dev", new Specs.BranchSpec(null, null, now.plusSeconds(60), null, null, null, true)),
                "Field spec.source_branch_time is in the future");
        invalid(() -> create("dev", new Specs.BranchSpec(null, null, now.minus(Duration.ofDays(8)), null, null, null, true)),
                "spec.source_branch_time", "outside the project's restore window", "604800s");
        invalid(() -> create("dev", new Specs.BranchSpec(null, null, now.minusSeconds(60), null, null, null, true)),
                "before the history Oxbow keeps for projects/p1/branches/production", "none yet");
        assertThat(s.f.store.branches().get("projects/p1/branches/dev")).isEmpty();
    }

    @Test
    void defaultBranchCannotBeGivenAnExpiry() {
        invalid(() -> s.branches.update(production.name(), ttl(3600), Set.of("spec.expiration")),
                "Default branches and branches with children cannot expire");
    }

    @Test
    void protectingAnExpiringBranchNeedsNoExpiryToo() {
        create("dev", ttl(3600));
        invalid(() -> s.branches.update("projects/p1/branches/dev", new Specs.BranchSpec(null, null, null, true, null, null, null),
                Set.of("spec.is_protected")), "protected branches cannot expire", "update_mask=spec.is_protected,spec.expiration");
        s.branches.update("projects/p1/branches/dev", new Specs.BranchSpec(null, null, null, true, null, null, true),
                Set.of("spec.is_protected", "spec.expiration"));
        assertThat(stored("dev").isProtected()).isTrue();
        assertThat(stored("dev").expireTime()).isNull();
    }

    @Test
    void updateMaskPathsAreChecked() {
        invalid(() -> s.branches.update(production.name(), noExpiry(), Set.of("spec.source_branch")), "'spec.source_branch' cannot be updated");
        invalid(() -> s.branches.update(production.name(), noExpiry(), Set.of("spec.is_protected")),
                "update_mask names spec.is_protected but the body does not set it.");
    }

    @Test
    void rootBranchDeleteIsManagedByTheProject() {
        ApiException e = refused(() -> s.branches.delete(production.name(), false), 400, "BAD_REQUEST",
                "Cannot delete root branch 'projects/p1/branches/production'. Root branches cannot be deleted independently.");
        assertThat(e.details()).singleElement().satisfies(d -> assertThat(d).containsEntry("reason", "RESOURCE_CONFLICT"));
    }

    @Test
    void protectedOrParentBranchesCannotBeDeleted() {
        create("safe", new Specs.BranchSpec(null, null, null, true, null, null, true));
        refused(() -> s.branches.delete("projects/p1/branches/safe", false), 400, "BAD_REQUEST", "cannot delete protected branch");
        create("parent", noExpiry());
        create("child", new Specs.BranchSpec("parent", null, null, null, null, null, true));
        refused(() -> s.branches.delete("projects/p1/branches/parent", false), 400, "BAD_REQUEST", "has child branches");
    }

    @Test
    void deleteIsSoftThenNotFound() {
        create("dev", noExpiry());
        s.branches.delete("projects/p1/branches/dev", false);
        Branch deleted = stored("dev");
        assertThat(deleted.state()).isEqualTo(BranchState.DELETED);
        assertThat(deleted.purgeTime()).isEqualTo(deleted.deleteTime().plus(Duration.ofDays(7)));
        refused(() -> s.branches.delete("projects/p1/branches/dev", false), 404, "NOT_FOUND", "projects/p1/branches/dev");
        refused(() -> s.branches.get("projects/p1/branches/dev"), 404, "NOT_FOUND", "projects/p1/branches/dev");
    }

    @Test
    void activeComputeLimitCountsEveryNonIdleCompute() {
        for (int i = 1; i < s.f.limits.activeComputesPerProject(); i++) {
            create("b" + i, noExpiry());
        }
        refused(() -> create("one-too-many", noExpiry()), 400, "QUOTA_EXCEEDED", "would have 21 active computes, the limit is 20");
        // suspended computes do not count
        Endpoint e = s.f.store.endpoints().get("projects/p1/branches/b1/endpoints/primary").orElseThrow();
        s.f.store.endpoints().put(e.withState(EndpointState.IDLE, s.f.clock.instant()));
        create("one-more", noExpiry());
    }
}
