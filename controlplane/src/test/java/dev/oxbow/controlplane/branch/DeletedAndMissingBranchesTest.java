package dev.oxbow.controlplane.branch;

import dev.oxbow.controlplane.resource.Specs;
import dev.oxbow.controlplane.testing.ServiceFixture;
import dev.oxbow.metadata.Branch;
import dev.oxbow.metadata.Operation;
import dev.oxbow.metadata.Project;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static dev.oxbow.controlplane.testing.ApiErrors.refused;
import static org.assertj.core.api.Assertions.assertThat;

/** Soft-deleted projects and branches stay readable by name until purged; {@code allow_missing} deletes succeed on nothing. */
class DeletedAndMissingBranchesTest {
    @TempDir
    Path dir;

    private ServiceFixture s;

    @BeforeEach
    void setUp() {
        s = new ServiceFixture(dir);
        Project project = s.f.project("p1");
        Branch production = s.f.rootBranch(project, "production");
        s.f.primary(project, production, 0.5, 4, 300, dev.oxbow.metadata.EndpointState.ACTIVE);
        s.f.store.branches().insert(Branch.newBranch("p1", "dev", s.f.uids.branch(), s.f.clock.instant())
                .state(dev.oxbow.metadata.BranchState.READY).pendingState(null).sourceBranchId("production")
                .sourceBranchLsn("0/1000000").sourceBranchTime(s.f.clock.instant()).build());
    }

    @AfterEach
    void tearDown() {
        s.close();
    }

    @Test
    void aSoftDeletedBranchIsReadableWithItsDeleteAndPurgeTimes() {
        s.branches.delete("projects/p1/branches/dev", false);
        Branch read = s.branches.read("projects/p1/branches/dev");
        assertThat(read.deleteTime()).isEqualTo(s.f.clock.instant());
        assertThat(read.purgeTime()).isAfter(read.deleteTime());
        assertThat(read.state()).isEqualTo(dev.oxbow.metadata.BranchState.DELETED);
        // changes still see it as gone
        refused(() -> s.branches.get("projects/p1/branches/dev"), 404, "NOT_FOUND", "dev");
        refused(() -> s.branches.update("projects/p1/branches/dev", new Specs.BranchSpec(null, null, null, true, null, null, null),
                java.util.Set.of("spec.is_protected")), 404, "NOT_FOUND", "not found");
    }

    @Test
    void aSoftDeletedProjectIsReadable() {
        s.projects.delete("projects/p1", false);
        assertThat(s.projects.read("projects/p1").deleteTime()).isNotNull();
        refused(() -> s.projects.get("projects/p1"), 404, "NOT_FOUND", "not found");
    }

    @Test
    void allowMissingMakesDeletingNothingASuccess() {
        refused(() -> s.branches.delete("projects/p1/branches/nope", false), 404, "NOT_FOUND", "nope");
        Operation op = s.branches.delete("projects/p1/branches/nope", false, true);
        assertThat(op.kind()).isEqualTo(dev.oxbow.metadata.OperationKind.DELETE_BRANCH);
        assertThat(s.f.store.branches().get("projects/p1/branches/nope")).isEmpty();
        // an already soft-deleted branch is missing too; without the flag it is a 404
        s.branches.delete("projects/p1/branches/dev", false);
        refused(() -> s.branches.delete("projects/p1/branches/dev", false), 404, "NOT_FOUND", "not found");
        assertThat(s.branches.delete("projects/p1/branches/dev", false, true).kind()).isEqualTo(dev.oxbow.metadata.OperationKind.DELETE_BRANCH);
        // the project must still exist
        refused(() -> s.branches.delete("projects/nope/branches/x", false, true), 404, "NOT_FOUND", "not found");
    }
}
