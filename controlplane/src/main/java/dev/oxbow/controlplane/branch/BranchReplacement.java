package dev.oxbow.controlplane.branch;

import dev.oxbow.controlplane.resource.DataApiRecords;

import dev.oxbow.controlplane.operation.OperationRequestCodec;
import dev.oxbow.controlplane.operation.OperationRequest;
import dev.oxbow.metadata.BranchState;
import dev.oxbow.metadata.OperationKind;
import dev.oxbow.metadata.EndpointState;
import dev.oxbow.controlplane.compute.Provisioner;
import dev.oxbow.controlplane.endpoint.EndpointRules;
import dev.oxbow.controlplane.history.ProjectSnapshots;
import dev.oxbow.controlplane.history.Timelines;
import dev.oxbow.controlplane.operation.OperationContext;
import dev.oxbow.controlplane.operation.OperationHandler;
import dev.oxbow.controlplane.operation.OperationResult;
import dev.oxbow.controlplane.resource.Cascade;
import dev.oxbow.controlplane.resource.Layout;
import dev.oxbow.metadata.Branch;
import dev.oxbow.metadata.Endpoint;
import dev.oxbow.metadata.MetadataStore;
import dev.oxbow.metadata.Operation;
import dev.oxbow.metadata.Project;
import dev.oxbow.metadata.ProjectSnapshot;
import dev.oxbow.storage.BranchCloner;
import dev.oxbow.storage.PointInTimeRecovery;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Restore in place and reset from parent: the branch's next directory is built beside it (staging),
 * then swapped in with renames while its computes are stopped. Every step can be redone after a crash:
 * a marker file says the staging copy is complete, and which renames happened is read from the disk.
 */
public final class BranchReplacement {
    private final OperationRequestCodec requests = new OperationRequestCodec();
    private static final Logger log = LoggerFactory.getLogger(BranchReplacement.class);
    /** Written into the staging directory once its data is complete: the LSN and time it holds. */
    private static final String COMPLETE = "STAGED";

    private final MetadataStore store;
    private final dev.oxbow.controlplane.history.FirstSnapshots firstSnapshots;
    private final Provisioner provisioner;
    private final BranchLifecycle lifecycle;
    private final Timelines timelines;
    private final BranchCloner cloner;
    private final EndpointRules endpointRules;
    private final Layout layout;
    private final Clock clock;
    private final ProjectSnapshots snapshots;

    public BranchReplacement(MetadataStore store, Provisioner provisioner, BranchLifecycle lifecycle, Timelines timelines, BranchCloner cloner,
                      EndpointRules endpointRules, Layout layout, Clock clock, ProjectSnapshots snapshots,
                      dev.oxbow.controlplane.history.FirstSnapshots firstSnapshots) {
        this.firstSnapshots = firstSnapshots;
        this.snapshots = snapshots;
        this.store = store;
        this.provisioner = provisioner;
        this.lifecycle = lifecycle;
        this.timelines = timelines;
        this.cloner = cloner;
        this.endpointRules = endpointRules;
        this.layout = layout;
        this.clock = clock;
    }

    public Map<OperationKind, OperationHandler> handlers() {
        return Map.of(OperationKind.RESTORE_BRANCH, replacing(this::restore), OperationKind.RESET_BRANCH, replacing(this::reset));
    }

    private interface Work {
        OperationResult run(Operation op, OperationContext ctx) throws Exception;
    }

    /** Both operations undo the same way when they fail before their swap. */
    private OperationHandler replacing(Work work) {
        return new OperationHandler() {
            @Override
            public OperationResult run(Operation op, OperationContext ctx) throws Exception {
                // a first snapshot still queued would copy the data being replaced: dropped (or waited for if running)
                firstSnapshots.cancel(op.resourceName());
                return work.run(op, ctx);
            }

            @Override
            public void compensate(Operation op) throws Exception {
                abandon(op);
            }
        };
    }

    private OperationResult restore(Operation op, OperationContext ctx) throws Exception {
        Branch branch = Cascade.requireBranch(store, op.resourceName());
        Project project = Cascade.requireProject(store, Project.nameOf(branch.projectId()));
        OperationRequest.RestoreBranch request = requests.read(op, OperationRequest.RestoreBranch.class);
        PointInTimeRecovery.Target point = request.point();
        String oldName = Branch.nameOf(branch.projectId(), request.oldBranchId());
        Path live = layout.branchDir(project, branch);
        Path staging = layout.stagingDir(project, branch);
        boolean oldExists = store.branches().get(oldName).isPresent();
        String snapshotName = request.sourceSnapshot();
        ProjectSnapshot snapshot = snapshotName == null ? null : store.snapshots().get(snapshotName)
                .orElseThrow(() -> dev.oxbow.controlplane.resource.ApiException.notFound("snapshot", snapshotName));
        if (!Files.exists(staging.resolve(COMPLETE)) && !oldExists) {
            cloner.delete(staging);
            if (snapshot != null) {
                snapshots.copyInto(project, snapshot, staging.resolve("pgdata"));
                writeMarker(staging.resolve(COMPLETE), snapshot.lsn() + "\n");
            } else {
                Timelines.Source source = timelines.resolve(project, branch, point,
                        point.lsn() != null ? "source_branch_lsn" : "source_branch_time");
                Timelines.Reached reached = timelines.recover(project, branch, source, point, staging.resolve("pgdata"));
                writeMarker(staging.resolve(COMPLETE), reached.lsn() + "\n");
            }
        }
        ctx.pointTaken();
        provisioner.stopAll(branch);
        Branch old = store.branches().get(oldName).orElse(null);
        if (old == null) {
            old = recordOldBranch(project, branch, oldName, request.oldBranchUid());
        }
        Path oldDir = layout.branchDir(project, old);
        if (!Files.exists(oldDir) && Files.exists(staging)) {
            Files.move(live, oldDir, StandardCopyOption.ATOMIC_MOVE);
        }
        if (snapshot != null && Files.exists(staging)) {
            adoptSnapshotRecords(branch, snapshot);
        }
        swapIn(staging, live);
        cloner.delete(oldDir.resolve("replicas")); // copies of the restored branch's replicas, stale now
        bringBack(project, branch);
        lifecycle.bringUp(project, Cascade.requireBranch(store, old.name()));
        log.info("branch restored branch={} point={} previous_state_kept_as={}", branch.name(), point, old.name());
        return OperationResult.of(Cascade.requireBranch(store, op.resourceName()));
    }

    private OperationResult reset(Operation op, OperationContext ctx) throws Exception {
        Branch branch = Cascade.requireBranch(store, op.resourceName());
        Project project = Cascade.requireProject(store, Project.nameOf(branch.projectId()));
        Branch parent = Cascade.requireBranch(store, Branch.nameOf(branch.projectId(), branch.sourceBranchId()));
        Path live = layout.branchDir(project, branch);
        Path staging = layout.stagingDir(project, branch);
        Path discard = layout.discardDir(project, branch);
        if (!Files.exists(staging.resolve(COMPLETE)) && !Files.exists(discard)) {
            cloner.delete(staging);
            String lsn = provisioner.cloneFromParent(project, parent, branch, staging.resolve("pgdata"));
            Instant time = clock.instant();
            timelines.adoptBranchPoint(project, staging.resolve("pgdata"), lsn, time);
            writeMarker(staging.resolve(COMPLETE), lsn + "\n" + time + "\n");
        }
        ctx.pointTaken();
        provisioner.stopAll(branch);
        if (Files.exists(staging)) {
            List<String> staged = Files.readAllLines(staging.resolve(COMPLETE));
            Instant now = clock.instant();
            store.transaction(() -> {
                store.branches().put(Cascade.requireBranch(store, branch.name()).withSourcePoint(staged.get(0), Instant.parse(staged.get(1)), now));
                // the data is the parent's now, and so are its roles and databases
                var dataApis = DataApiRecords.of(store, branch.name());
                store.roles().list(branch.name()).forEach(r -> store.roles().delete(r.name()));
                store.databases().list(branch.name()).forEach(d -> store.databases().delete(d.name()));
                store.roles().list(parent.name()).forEach(r -> store.roles().insert(r.onBranch(branch.branchId(), now)));
                store.databases().list(parent.name()).forEach(d -> store.databases().insert(d.onBranch(branch.branchId(), now)));
                DataApiRecords.adopt(store, dataApis, now);
            });
            if (!Files.exists(discard)) {
                Files.move(live, discard, StandardCopyOption.ATOMIC_MOVE);
            }
        }
        swapIn(staging, live);
        cloner.delete(discard);
        bringBack(project, branch);
        log.info("branch reset from parent branch={} parent={}", branch.name(), parent.name());
        return OperationResult.of(Cascade.requireBranch(store, op.resourceName()));
    }

    /** The data is the snapshot's now, and so are the roles and databases (the old ones stay with the _old_ branch). */
    private void adoptSnapshotRecords(Branch branch, ProjectSnapshot snapshot) {
        Instant now = clock.instant();
        store.transaction(() -> {
            var dataApis = DataApiRecords.of(store, branch.name());
            store.roles().list(branch.name()).forEach(r -> store.roles().delete(r.name()));
            store.databases().list(branch.name()).forEach(d -> store.databases().delete(d.name()));
            snapshot.roles().forEach(r -> store.roles().insert(r.onBranch(branch.branchId(), now)));
            snapshot.databases().forEach(d -> store.databases().insert(d.onBranch(branch.branchId(), now)));
            DataApiRecords.adopt(store, dataApis, now);
        });
    }

    /** Oxbow's own marker: readable by nobody else. */
    private static void writeMarker(Path file, String content) throws IOException {
        Files.deleteIfExists(file);
        Files.createFile(file, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, content, java.nio.file.StandardOpenOption.TRUNCATE_EXISTING, java.nio.file.LinkOption.NOFOLLOW_LINKS);
    }

    /** Moves the staged directory into the branch's place (if not done yet) and drops the marker. */
    private static void swapIn(Path staging, Path live) throws IOException {
        if (Files.exists(staging)) {
            Files.move(staging, live, StandardCopyOption.ATOMIC_MOVE);
        }
        Files.deleteIfExists(live.resolve(COMPLETE));
    }

    /** The branch's state before the restore, as a sibling branch with a suspended read-write compute. */
    private Branch recordOldBranch(Project project, Branch branch, String oldName, String uid) {
        Instant now = clock.instant();
        String oldId = oldName.substring(oldName.lastIndexOf('/') + 1);
        Branch old = Branch.newBranch(branch.projectId(), oldId, uid, now).sourceBranchId(branch.sourceBranchId())
                .sourceBranchLsn(branch.sourceBranchLsn()).sourceBranchTime(branch.sourceBranchTime())
                .logicalSizeBytes(branch.logicalSizeBytes())
                .masked(branch.masked()).maskedLsn(branch.maskedLsn()).maskedTime(branch.maskedTime()).build(); // the same (masked) data
        Endpoint primary = endpointRules.defaultPrimary(project, old, now).withState(EndpointState.IDLE, now);
        store.transaction(() -> {
            store.branches().insert(old);
            store.endpoints().insert(primary);
            store.roles().list(branch.name()).forEach(r -> store.roles().insert(r.onBranch(oldId, now)));
            store.databases().list(branch.name()).forEach(d -> store.databases().insert(d.onBranch(oldId, now)));
        });
        return old;
    }

    /** New replicas (their old copies belong to the previous data), recorded roles and databases, computes, READY. */
    private void bringBack(Project project, Branch branch) throws Exception {
        cloner.delete(layout.branchDir(project, branch).resolve("replicas"));
        provisioner.applyRecords(project, branch);
        for (Endpoint e : store.endpoints().list(branch.name())) {
            if (!e.readWrite()) {
                provisioner.cloneReplica(project, branch, e);
            }
        }
        lifecycle.bringUp(project, Cascade.requireBranch(store, branch.name()));
    }

    /** A failed restore or reset leaves the branch as it was (the swap is its last undoable step). */
    private void abandon(Operation op) throws Exception {
        Branch branch = store.branches().get(op.resourceName()).orElse(null);
        Project project = store.projects().get(Project.nameOf(op.projectId())).orElse(null);
        if (branch == null || project == null) {
            return;
        }
        if (Files.exists(layout.stagingDir(project, branch)) && Files.exists(layout.branchDir(project, branch))) {
            cloner.delete(layout.stagingDir(project, branch));
        }
        String oldId = op.kind() == OperationKind.RESTORE_BRANCH ? requests.read(op, OperationRequest.RestoreBranch.class).oldBranchId() : null;
        if (oldId != null) {
            store.branches().get(Branch.nameOf(branch.projectId(), oldId))
                    .filter(old -> !Files.exists(layout.branchDir(project, old)))
                    .ifPresent(old -> Cascade.deleteBranch(store, old.name())); // recorded, but its data never moved there
        }
        store.branches().put(Cascade.requireBranch(store, branch.name()).withState(BranchState.READY, clock.instant()));
        lifecycle.resume(project, branch);
    }
}
