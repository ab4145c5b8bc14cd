package dev.oxbow.controlplane.history;

import dev.oxbow.controlplane.operation.OperationExecutor;
import dev.oxbow.controlplane.operation.OperationHandler;
import dev.oxbow.controlplane.operation.OperationResult;
import dev.oxbow.controlplane.resource.Resources;
import dev.oxbow.controlplane.testing.Fixture;
import dev.oxbow.metadata.Branch;
import dev.oxbow.metadata.Operation;
import dev.oxbow.metadata.Project;
import dev.oxbow.metadata.ProjectSnapshot;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.oxbow.controlplane.testing.ApiErrors.invalid;
import static dev.oxbow.controlplane.testing.ApiErrors.refused;
import static org.assertj.core.api.Assertions.assertThat;

/** What taking, listing and scheduling snapshots accepts and refuses: root branches only, 10 manual ones, schedules on a fake clock. */
class SnapshotServiceTest {
    @TempDir
    Path dir;

    private Fixture f;
    private OperationExecutor executor;
    private SnapshotService snapshots;
    private final List<Operation> ran = new CopyOnWriteArrayList<>();
    private Project project;
    private Branch production;

    @BeforeEach
    void setUp() {
        f = new Fixture(dir);
        OperationHandler record = (op, ctx) -> {
            ran.add(op);
            return OperationResult.empty();
        };
        executor = new OperationExecutor(f.store, Map.of(dev.oxbow.metadata.OperationKind.CREATE_SNAPSHOT, record, dev.oxbow.metadata.OperationKind.DELETE_SNAPSHOT, record), f.clock, f.metrics);
        snapshots = new SnapshotService(f.store, executor, new Resources(f.store), f.uids, f.clock);
        project = f.project("p1");
        production = f.rootBranch(project, "production");
    }

    @AfterEach
    void tearDown() {
        executor.close();
        f.close();
    }

    private Branch child(String id) {
        Branch b = Branch.newBranch("p1", id, f.uids.branch(), f.clock.instant())
                .state(dev.oxbow.metadata.BranchState.READY).pendingState(null).sourceBranchId("production")
                .sourceBranchLsn("0/1000000").sourceBranchTime(f.clock.instant()).build();
        f.store.branches().insert(b);
        return b;
    }

    @Test
    void aManualSnapshotIsOfTheDefaultRootBranchUnlessNamed() {
        Operation op = snapshots.create("projects/p1", "s1", null);
        assertThat(op.kind()).isEqualTo(dev.oxbow.metadata.OperationKind.CREATE_SNAPSHOT);
        ProjectSnapshot s = f.store.snapshots().get("projects/p1/snapshots/s1").orElseThrow();
        assertThat(s.sourceBranchId()).isEqualTo("production");
        assertThat(s.scheduled()).isFalse();
        assertThat(s.state()).isEqualTo(dev.oxbow.metadata.SnapshotState.CREATING);
        refused(() -> snapshots.create("projects/p1", "s1", "production"), 409, "ALREADY_EXISTS", "s1");
        invalid(() -> snapshots.create("projects/p1", "Bad_Id", null), "snapshot_id");
    }

    @Test
    void childBranchesCannotBeSnapshottedOrScheduled() {
        child("dev");
        invalid(() -> snapshots.create("projects/p1", "s1", "projects/p1/branches/dev"), "root branches only");
        invalid(() -> snapshots.updateSchedule("projects/p1/branches/dev", "DAILY", Set.of("spec.frequency")), "root branches only");
        assertThat(f.store.snapshots().list("projects/p1")).isEmpty();
    }

    @Test
    void theEleventhManualSnapshotIsRefused() {
        for (int i = 0; i < SnapshotService.MANUAL_LIMIT; i++) {
            snapshots.create("projects/p1", "s" + i, null);
        }
        refused(() -> snapshots.create("projects/p1", "s-over", null), 400, "QUOTA_EXCEEDED", "limit of 10 snapshots");
        assertThat(f.store.snapshots().list("projects/p1")).hasSize(10);
    }

    @Test
    void aSnapshotOfAnotherProjectIsNotABranchSource() {
        f.project("p2");
        snapshots.create("projects/p1", "s1", null);
        invalid(() -> snapshots.usable("p2", "projects/p1/snapshots/s1", "spec.source_snapshot"), "spec.source_snapshot", "projects/p2");
        // still being taken
        refused(() -> snapshots.usable("p1", "projects/p1/snapshots/s1", "spec.source_snapshot"), 400, "INVALID_STATE", "READY");
        refused(() -> snapshots.usable("p1", "projects/p1/snapshots/nope", "spec.source_snapshot"), 404, "NOT_FOUND", "nope");
    }

    @Test
    void deleteWithAllowMissingSucceedsOnAMissingSnapshot() {
        refused(() -> snapshots.delete("projects/p1/snapshots/nope", false), 404, "NOT_FOUND", "nope");
        Operation op = snapshots.delete("projects/p1/snapshots/nope", true);
        assertThat(op.kind()).isEqualTo(dev.oxbow.metadata.OperationKind.DELETE_SNAPSHOT);
    }

    @Test
    void aDailyScheduleTakesOneSnapshotADayOnTheControlPlanesClock() throws Exception {
        assertThat(snapshots.schedule("projects/p1/branches/production").frequency()).isEqualTo("NONE");
        var schedule = snapshots.updateSchedule("projects/p1/branches/production", "daily", Set.of("*"));
        assertThat(schedule.frequency()).isEqualTo("DAILY");
        assertThat(schedule.nextSnapshotTime()).isEqualTo(f.clock.instant().plus(Duration.ofDays(1)));
        invalid(() -> snapshots.updateSchedule("projects/p1/branches/production", "HOURLY", Set.of("spec.frequency")), "spec.frequency");

        ScheduledSnapshots runner = new ScheduledSnapshots(snapshots, f.clock);
        assertThat(runner.runDue()).isZero();
        f.clock.advance(Duration.ofHours(24));
        assertThat(runner.runDue()).isEqualTo(1);
        assertThat(runner.runDue()).as("one per period").isZero();
        List<ProjectSnapshot> taken = f.store.snapshots().list("projects/p1");
        assertThat(taken).singleElement().satisfies(s -> {
            assertThat(s.scheduled()).isTrue();
            assertThat(s.sourceBranchId()).isEqualTo("production");
        });
        var after = snapshots.schedule("projects/p1/branches/production");
        assertThat(after.lastSnapshotTime()).isEqualTo(f.clock.instant());
        assertThat(after.nextSnapshotTime()).isEqualTo(f.clock.instant().plus(Duration.ofDays(1)));

        // a server down for three days takes one snapshot when it comes back, not three
        f.clock.advance(Duration.ofDays(3));
        assertThat(runner.runDue()).isEqualTo(1);
        assertThat(snapshots.schedule("projects/p1/branches/production").nextSnapshotTime()).isAfter(f.clock.instant());

        // scheduled snapshots do not count against the 10 manual ones
        for (int i = 0; i < SnapshotService.MANUAL_LIMIT; i++) {
            snapshots.create("projects/p1", "m" + i, null);
        }
        snapshots.updateSchedule("projects/p1/branches/production", "NONE", Set.of("spec.frequency"));
        f.clock.advance(Duration.ofDays(40));
        assertThat(runner.runDue()).isZero();
    }

    @Test
    void monthlyAndWeeklyMoveByCalendarPeriods() {
        var start = java.time.Instant.parse("2026-01-31T10:00:00Z");
        assertThat(SnapshotFrequency.MONTHLY.after(start)).isEqualTo(java.time.Instant.parse("2026-02-28T10:00:00Z"));
        assertThat(SnapshotFrequency.WEEKLY.after(start)).isEqualTo(java.time.Instant.parse("2026-02-07T10:00:00Z"));
        assertThat(SnapshotFrequency.NONE.after(start)).isNull();
    }
}
