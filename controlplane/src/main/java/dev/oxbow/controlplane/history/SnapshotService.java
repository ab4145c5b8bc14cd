package dev.oxbow.controlplane.history;

import dev.oxbow.controlplane.operation.OperationRequest;
import dev.oxbow.metadata.OperationKind;
import dev.oxbow.metadata.SnapshotState;
import dev.oxbow.controlplane.operation.OperationExecutor;
import dev.oxbow.controlplane.resource.ApiException;
import dev.oxbow.controlplane.resource.ListResult;
import dev.oxbow.controlplane.resource.Paging;
import dev.oxbow.controlplane.resource.Resources;
import dev.oxbow.controlplane.resource.Uids;
import dev.oxbow.controlplane.resource.UpdateMask;
import dev.oxbow.controlplane.resource.Validate;
import dev.oxbow.metadata.Branch;
import dev.oxbow.metadata.MetadataStore;
import dev.oxbow.metadata.Operation;
import dev.oxbow.metadata.Project;
import dev.oxbow.metadata.ProjectSnapshot;
import dev.oxbow.metadata.SnapshotSchedule;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Comparator;
import java.util.List;
import java.util.Set;

/**
 * Named snapshots of a project's root branches and their schedules: validation, the product's limits and
 * acceptance; {@link SnapshotOperations} takes and removes the data. Manual snapshots are limited to
 * {@link #MANUAL_LIMIT} per project; a schedule keeps its newest {@link #SCHEDULED_KEPT} and drops older ones.
 */
public final class SnapshotService {
    public static final int MANUAL_LIMIT = 10;
    public static final int SCHEDULED_KEPT = 10;
    private static final String METADATA = "SnapshotOperationMetadata";
    private static final Set<String> SCHEDULE_UPDATABLE = Set.of("spec.frequency");
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

    private final MetadataStore store;
    private final OperationExecutor ops;
    private final Resources resources;
    private final Uids uids;
    private final Clock clock;

    public SnapshotService(MetadataStore store, OperationExecutor ops, Resources resources, Uids uids, Clock clock) {
        this.store = store;
        this.ops = ops;
        this.resources = resources;
        this.uids = uids;
        this.clock = clock;
    }

    /** A manual snapshot of {@code sourceBranch} (the project's default branch when null), which must be a root branch. */
    public Operation create(String parent, String snapshotId, String sourceBranch) {
        Project project = resources.liveProject(parent);
        Validate.id("snapshot_id", snapshotId);
        Branch branch = rootBranch(project, sourceBranch);
        return accept(project, branch, snapshotId, false);
    }

    /** A snapshot the branch's schedule takes; the oldest scheduled ones beyond {@link #SCHEDULED_KEPT} go. */
    public Operation createScheduled(SnapshotSchedule schedule) {
        Project project = resources.liveProject(Project.nameOf(schedule.projectId()));
        Branch branch = resources.liveBranch(Branch.nameOf(schedule.projectId(), schedule.branchId()));
        String id = ("sched-" + branch.branchId() + "-" + STAMP.format(clock.instant()));
        if (id.length() > 63) {
            id = "sched-" + STAMP.format(clock.instant()) + "-" + uids.suffix(6);
        }
        List<ProjectSnapshot> older = store.snapshots().list(project.name()).stream()
                .filter(s -> s.scheduled() && s.sourceBranchId().equals(branch.branchId()) && s.ready())
                .sorted(Comparator.comparing(ProjectSnapshot::createTime)).toList();
        for (int i = 0; i <= older.size() - SCHEDULED_KEPT; i++) {
            delete(older.get(i).name(), false);
        }
        return accept(project, branch, id, true);
    }

    private Operation accept(Project project, Branch branch, String snapshotId, boolean scheduled) {
        String name = ProjectSnapshot.nameOf(project.projectId(), snapshotId);
        Instant now = clock.instant();
        ProjectSnapshot snapshot = new ProjectSnapshot(project.projectId(), snapshotId, "snap-" + uids.suffix(12), now, now, SnapshotState.CREATING,
                branch.branchId(), null, null, scheduled, 0, List.of(), List.of());
        Operation op = ops.create(name, project.projectId(), OperationKind.CREATE_SNAPSHOT, METADATA, OperationRequest.NONE);
        store.transaction(() -> {
            if (store.snapshots().get(name).isPresent()) {
                throw ApiException.alreadyExists("snapshot with such id already exists: " + name);
            }
            long manual = store.snapshots().list(project.name()).stream().filter(s -> !s.scheduled()).count();
            if (!scheduled && manual >= MANUAL_LIMIT) {
                throw ApiException.quota("Project " + project.name() + " has reached its limit of " + MANUAL_LIMIT
                        + " snapshots; delete one first.");
            }
            store.snapshots().insert(snapshot);
            store.operations().put(op);
        });
        ops.submit(op);
        return op;
    }

    private Branch rootBranch(Project project, String raw) {
        String name = resources.branchName(project.projectId(), raw == null || raw.isBlank() ? project.defaultBranchId() : raw);
        if (!name.startsWith(project.name() + "/branches/")) {
            throw ApiException.invalid("Field spec.source_branch must be a branch of " + project.name() + ", got '" + raw + "'.");
        }
        Branch branch = resources.liveBranch(name);
        if (!branch.isRoot()) {
            throw ApiException.invalid("Snapshots can be taken of root branches only; " + name + " is a child of "
                    + Branch.nameOf(project.projectId(), branch.sourceBranchId()) + ".");
        }
        return branch;
    }

    public ProjectSnapshot get(String name) {
        ProjectSnapshot s = store.snapshots().get(name).orElseThrow(() -> ApiException.notFound("snapshot", name));
        resources.liveProject(s.parentName());
        return s;
    }

    /** A snapshot a branch can start from: ready, of this project. */
    public ProjectSnapshot usable(String projectId, String name, String field) {
        if (!name.startsWith(Project.nameOf(projectId) + "/snapshots/")) {
            throw ApiException.invalid("Field " + field + " must be a snapshot of " + Project.nameOf(projectId)
                    + " (projects/{project_id}/snapshots/{snapshot_id}), got '" + name + "'.");
        }
        ProjectSnapshot s = get(name);
        if (!s.ready()) {
            throw ApiException.invalidState("Snapshot " + name + " is " + s.state() + "; wait for it to be READY.");
        }
        return s;
    }

    public ListResult<ProjectSnapshot> list(String parent, Integer pageSize, String pageToken) {
        Project project = resources.liveProject(parent);
        return Paging.list(store.snapshots(), project.name(), pageSize, pageToken);
    }

    /** The snapshots taken of one branch (one page of the project's, filtered). */
    public ListResult<ProjectSnapshot> listOf(String branchName, Integer pageSize, String pageToken) {
        Branch branch = resources.liveBranch(branchName);
        ListResult<ProjectSnapshot> page = list(branch.parentName(), pageSize, pageToken);
        return new ListResult<>(page.items().stream().filter(s -> s.sourceBranchId().equals(branch.branchId())).toList(), page.nextPageToken());
    }

    /** Deletes the snapshot; with {@code allowMissing} a missing one is a success that does nothing. */
    public Operation delete(String name, boolean allowMissing) {
        var found = store.snapshots().get(name);
        if (found.isEmpty()) {
            if (!allowMissing) {
                throw ApiException.notFound("snapshot", name);
            }
            String projectId = name.split("/")[1];
            Operation op = ops.create(name, projectId, OperationKind.DELETE_SNAPSHOT, METADATA, OperationRequest.NONE);
            store.operations().put(op);
            ops.submit(op);
            return op;
        }
        ProjectSnapshot s = found.get();
        if (s.state() == SnapshotState.CREATING) {
            throw ApiException.invalidState("Snapshot " + name + " is still being taken; wait for it to be READY.");
        }
        Operation op = ops.create(name, s.projectId(), OperationKind.DELETE_SNAPSHOT, METADATA, OperationRequest.NONE);
        store.transaction(() -> {
            store.snapshots().put(s.withState(SnapshotState.DELETING, clock.instant()));
            store.operations().put(op);
        });
        ops.submit(op);
        return op;
    }

    /** The branch's schedule; a branch without one has frequency NONE. */
    public SnapshotSchedule schedule(String branchName) {
        Branch branch = resources.liveBranch(branchName);
        return store.snapshotSchedules().get(SnapshotSchedule.nameOf(branch.projectId(), branch.branchId()))
                .orElse(new SnapshotSchedule(branch.projectId(), branch.branchId(), SnapshotFrequency.NONE.name(), null, null, null));
    }

    /** Sets the schedule's frequency ({@code update_mask} {@code spec.frequency} or {@code *}); root branches only. */
    public SnapshotSchedule updateSchedule(String branchName, String frequency, Set<String> mask) {
        Branch branch = resources.liveBranch(branchName);
        UpdateMask.check(mask, SCHEDULE_UPDATABLE);
        SnapshotFrequency f = SnapshotFrequency.parse("spec.frequency", frequency);
        if (f != SnapshotFrequency.NONE && !branch.isRoot()) {
            throw ApiException.invalid("Snapshot schedules are for root branches only; " + branchName + " is a child branch.");
        }
        Instant now = clock.instant();
        SnapshotSchedule previous = schedule(branchName);
        SnapshotSchedule updated = new SnapshotSchedule(branch.projectId(), branch.branchId(), f.name(), now, f.after(now),
                previous.lastSnapshotTime());
        store.snapshotSchedules().put(updated);
        return updated;
    }

    /** Schedules due at {@code now}, for the background runner. */
    List<SnapshotSchedule> due(Instant now) {
        return store.snapshotSchedules().all().stream()
                .filter(s -> s.nextSnapshotTime() != null && !s.nextSnapshotTime().isAfter(now)).toList();
    }

    /** Records a run of the schedule at {@code now} and when the next is due. */
    void ran(SnapshotSchedule schedule, Instant now) {
        SnapshotFrequency f = SnapshotFrequency.parse("spec.frequency", schedule.frequency());
        Instant next = f.after(schedule.nextSnapshotTime() == null ? now : schedule.nextSnapshotTime());
        while (next != null && !next.isAfter(now)) {
            next = f.after(next); // a server that was down for several periods takes one, not a burst
        }
        store.snapshotSchedules().put(schedule.ran(now, next));
    }
}
