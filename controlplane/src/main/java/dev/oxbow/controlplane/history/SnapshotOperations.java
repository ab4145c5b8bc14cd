package dev.oxbow.controlplane.history;

import dev.oxbow.controlplane.operation.OperationHandler;
import dev.oxbow.controlplane.operation.OperationResult;
import dev.oxbow.controlplane.resource.Cascade;
import dev.oxbow.metadata.Branch;
import dev.oxbow.metadata.MetadataStore;
import dev.oxbow.metadata.OperationKind;
import dev.oxbow.metadata.Project;
import dev.oxbow.metadata.ProjectSnapshot;
import dev.oxbow.storage.Snapshot;

import java.time.Clock;
import java.util.Map;

/** The work behind snapshot operations: taking a snapshot's data (with the branch's roles and databases then) and removing it. */
public final class SnapshotOperations {
    private final MetadataStore store;
    private final ProjectSnapshots data;
    private final Clock clock;

    public SnapshotOperations(MetadataStore store, ProjectSnapshots data, Clock clock) {
        this.store = store;
        this.data = data;
        this.clock = clock;
    }

    public Map<OperationKind, OperationHandler> handlers() {
        return Map.of(
                OperationKind.CREATE_SNAPSHOT, new OperationHandler() {
                    @Override
                    public OperationResult run(dev.oxbow.metadata.Operation op, dev.oxbow.controlplane.operation.OperationContext ctx) throws Exception {
                        ProjectSnapshot snapshot = store.snapshots().get(op.resourceName())
                                .orElseThrow(() -> dev.oxbow.controlplane.resource.ApiException.notFound("snapshot", op.resourceName()));
                        if (snapshot.ready()) {
                            return OperationResult.of(snapshot); // resumed after the work was done
                        }
                        Project project = Cascade.requireProject(store, snapshot.parentName());
                        Branch branch = Cascade.requireBranch(store, Branch.nameOf(snapshot.projectId(), snapshot.sourceBranchId()));
                        // the records as of the copy: no role or database operation runs in between (same project queue)
                        var roles = store.roles().list(branch.name());
                        var databases = store.databases().list(branch.name());
                        Snapshot taken = data.take(project, branch, snapshot);
                        ProjectSnapshot ready = snapshot.taken(taken.lsn(), taken.time(), data.sizeBytes(project, snapshot), roles, databases, clock.instant());
                        store.snapshots().put(ready);
                        return OperationResult.of(ready);
                    }

                    @Override
                    public void compensate(dev.oxbow.metadata.Operation op) throws Exception {
                        var snapshot = store.snapshots().get(op.resourceName());
                        var project = store.projects().get(op.resourceName().substring(0, op.resourceName().indexOf("/snapshots/")));
                        if (snapshot.isPresent() && project.isPresent()) {
                            data.remove(project.get(), snapshot.get());
                        }
                        snapshot.ifPresent(s -> store.snapshots().delete(s.name()));
                    }
                },
                OperationKind.DELETE_SNAPSHOT, (op, ctx) -> {
                    var snapshot = store.snapshots().get(op.resourceName());
                    if (snapshot.isPresent()) {
                        var project = store.projects().get(snapshot.get().parentName());
                        if (project.isPresent()) {
                            data.remove(project.get(), snapshot.get());
                        }
                        store.snapshots().delete(snapshot.get().name());
                    }
                    return OperationResult.empty();
                });
    }
}
