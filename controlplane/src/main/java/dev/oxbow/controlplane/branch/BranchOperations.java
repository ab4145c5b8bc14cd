package dev.oxbow.controlplane.branch;

import dev.oxbow.controlplane.operation.OperationRequestCodec;
import dev.oxbow.controlplane.operation.OperationRequest;
import dev.oxbow.metadata.OperationKind;
import dev.oxbow.metadata.BranchState;
import dev.oxbow.controlplane.compute.Provisioner;
import dev.oxbow.controlplane.history.FirstSnapshots;
import dev.oxbow.controlplane.history.ProjectSnapshots;
import dev.oxbow.controlplane.history.Timelines;
import dev.oxbow.controlplane.masking.BranchMasker;
import dev.oxbow.metadata.MaskingPolicy;
import dev.oxbow.controlplane.resource.ApiException;
import dev.oxbow.controlplane.operation.OperationContext;
import dev.oxbow.controlplane.operation.OperationHandler;
import dev.oxbow.controlplane.operation.OperationResult;
import dev.oxbow.controlplane.resource.Cascade;
import dev.oxbow.controlplane.resource.Layout;
import dev.oxbow.metadata.Branch;
import dev.oxbow.metadata.MetadataStore;
import dev.oxbow.metadata.Operation;
import dev.oxbow.metadata.Project;
import dev.oxbow.metadata.ProjectSnapshot;
import dev.oxbow.storage.PointInTimeRecovery;

import java.time.Clock;
import java.util.Map;
import java.util.Optional;

/** The work behind branch operations. */
public final class BranchOperations {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(BranchOperations.class);
    private final OperationRequestCodec requests = new OperationRequestCodec();
    private final MetadataStore store;
    private final Provisioner provisioner;
    private final BranchLifecycle lifecycle;
    private final Clock clock;
    private final Timelines timelines;
    private final Layout layout;

    private final ProjectSnapshots snapshots;

    private final BranchMasker masker;
    private final dev.oxbow.storage.BranchCloner cloner;
    private final dev.oxbow.controlplane.compute.Computes computes;
    private final FirstSnapshots firstSnapshots;

    /**
     * {@code firstSnapshots} takes a cloned branch's first snapshot once its create is done (off the project's queue);
     * until it exists (also across a restart: history maintenance takes any missing one) the branch's points are bridged.
     */
    public BranchOperations(MetadataStore store, Provisioner provisioner, BranchLifecycle lifecycle, Clock clock, Timelines timelines, Layout layout,
                            ProjectSnapshots snapshots, BranchMasker masker, dev.oxbow.storage.BranchCloner cloner,
                            dev.oxbow.controlplane.compute.Computes computes, FirstSnapshots firstSnapshots) {
        this.firstSnapshots = firstSnapshots;
        this.masker = masker;
        this.cloner = cloner;
        this.computes = computes;
        this.snapshots = snapshots;
        this.timelines = timelines;
        this.layout = layout;
        this.store = store;
        this.provisioner = provisioner;
        this.lifecycle = lifecycle;
        this.clock = clock;
    }

    /**
     * Masks the branch's data (stopped, just built), then starts its history over: the snapshot and WAL the build
     * left (a recovery's) hold unmasked rows, so both are dropped and the masked data becomes the first snapshot.
     */
    private Branch mask(Project project, Branch branch) throws Exception {
        MaskingPolicy policy = store.maskingPolicies().get(MaskingPolicy.nameOf(project.projectId()))
                .filter(p -> p.keyHex() != null && !p.rules().isEmpty())
                .orElseThrow(() -> ApiException.invalidState("Project " + project.name() + " has no masking rules; set them first."));
        java.nio.file.Path dataDir = layout.dataDir(project, branch);
        try {
            masker.mask(project, branch, dataDir, policy);
        } catch (dev.oxbow.controlplane.masking.BranchMasker.RuleDoesNotFit misfit) {
            // the project's rules, not Oxbow, are what is wrong: say so, and how to fix it
            throw ApiException.invalidState(misfit.getMessage() + ". Change the project's masking rules (PATCH /api/2.0/oxbow/projects/"
                    + project.projectId() + "/masking-rules) or the source branch, then create the branch again.");
        }
        cloner.delete(layout.archiveDir(project, branch));
        computes.ensureArchiveDir(project, layout.archiveDir(project, branch));
        dev.oxbow.storage.Snapshot first = timelines.restartHistoryAt(project, dataDir);
        return branch.withMaskedFrom(first.lsn(), first.time(), clock.instant());
    }

    public Map<OperationKind, OperationHandler> handlers() {
        return Map.of(
                OperationKind.CREATE_BRANCH, new OperationHandler() {
                    @Override
                    public OperationResult run(Operation op, OperationContext ctx) throws Exception {
                        // first snapshots queued by earlier creates wait until this one is done (FirstSnapshots.Quiet)
                        try (AutoCloseable busy = firstSnapshots.creating()) {
                            return create(op, ctx);
                        }
                    }

                    private OperationResult create(Operation op, OperationContext ctx) throws Exception {
                        Branch branch = Cascade.requireBranch(store, op.resourceName());
                        Project project = Cascade.requireProject(store, Project.nameOf(branch.projectId()));
                        dev.oxbow.compute.PhaseTimer phases = dev.oxbow.compute.PhaseTimer.start();
                        boolean firstSnapshotLater = false;
                        long parentSize = 0;
                        if (branch.state() != BranchState.READY) {
                            Branch parent = Cascade.requireBranch(store, Branch.nameOf(branch.projectId(), branch.sourceBranchId()));
                            parentSize = parent.logicalSizeBytes();
                            OperationRequest.CreateBranch request = requests.read(op, OperationRequest.CreateBranch.class);
                            PointInTimeRecovery.Target past = request.point();
                            String fromSnapshot = request.sourceSnapshot();
                            var now = clock.instant();
                            // decided from the source, not from the record: a retry after masking was recorded redoes it
                            boolean ownMasking = branch.masked() && (fromSnapshot != null || !parent.masked());
                            if (ownMasking && branch.maskingDone()) {
                                // pending again while rebuilt, so nothing ships or reads its history in between
                                store.branches().put(branch.toBuilder().maskedLsn(null).maskedTime(null).build());
                            }
                            String lsn;
                            java.time.Instant time;
                            if (fromSnapshot != null) {
                                ProjectSnapshot snapshot = store.snapshots().get(fromSnapshot)
                                        .orElseThrow(() -> ApiException.notFound("snapshot", fromSnapshot));
                                snapshots.copyInto(project, snapshot, layout.dataDir(project, branch));
                                lsn = snapshot.lsn();
                                time = snapshot.time();
                            } else if (past == null) {
                                timelines.clearForClone(layout.dataDir(project, branch));
                                // the branch's bridge starts from its parent's snapshot before the branch point
                                firstSnapshots.await(parent.name());
                                lsn = provisioner.cloneFromParent(project, parent, branch);
                                time = clock.instant(); // every commit in the copy happened before this
                                phases.end("clone");
                                // its first snapshot (a second copy) is taken once the create is done; a masked one
                                // starts its history over at the masked data below
                                firstSnapshotLater = !ownMasking;
                            } else {
                                Timelines.Source source = timelines.resolve(project, parent, past,
                                        past.lsn() != null ? "spec.source_branch_lsn" : "spec.source_branch_time");
                                Timelines.Reached reached = timelines.recover(project, branch, source, past, layout.dataDir(project, branch));
                                lsn = reached.lsn();
                                time = reached.time();
                            }
                            branch = Cascade.requireBranch(store, op.resourceName());
                            branch = branch.withSourcePoint(lsn, time, now);
                            if (ownMasking) {
                                branch = mask(project, branch);
                            }
                            store.branches().put(branch);
                            phases.end("data");
                        }
                        ctx.pointTaken();
                        try (var unquoted = provisioner.withoutQuota(branch)) {
                            // a retry of a create whose data was done takes a missing first snapshot at once, as before
                            // a fresh clone holds what its parent held: its size is the parent's (measured again after its first snapshot)
                            java.util.OptionalLong size = firstSnapshotLater ? java.util.OptionalLong.of(parentSize) : java.util.OptionalLong.empty();
                            lifecycle.bringUp(project, Cascade.requireBranch(store, op.resourceName()), !firstSnapshotLater, size);
                        }
                        phases.end("bring_up");
                        if (firstSnapshotLater) {
                            firstSnapshots.takeSoon(op.resourceName());
                        }
                        log.info("branch created branch={} {}", op.resourceName(), phases);
                        return OperationResult.of(Cascade.requireBranch(store, op.resourceName()));
                    }

                    @Override
                    public void compensate(Operation op) throws Exception {
                        Optional<Branch> branch = store.branches().get(op.resourceName());
                        Optional<Project> project = store.projects().get(Project.nameOf(op.projectId()));
                        if (branch.isPresent() && project.isPresent()) {
                            firstSnapshots.cancel(op.resourceName());
                            provisioner.removeBranch(project.get(), branch.get());
                            Cascade.deleteBranch(store, op.resourceName());
                        }
                    }
                },
                OperationKind.UPDATE_BRANCH, (op, ctx) -> OperationResult.of(Cascade.requireBranch(store, op.resourceName())),
                OperationKind.DELETE_BRANCH, (op, ctx) -> {
                    Optional<Branch> branch = store.branches().get(op.resourceName());
                    Optional<Project> project = store.projects().get(Project.nameOf(op.projectId()));
                    if (branch.isEmpty() || project.isEmpty()) {
                        return OperationResult.empty();
                    }
                    firstSnapshots.cancel(op.resourceName()); // it would copy files being removed, or start what is stopped
                    if (requests.read(op, OperationRequest.Delete.class).purge()) {
                        provisioner.removeBranch(project.get(), branch.get());
                        Cascade.deleteBranch(store, op.resourceName());
                        timelines.removeFromBucket(project.get(), branch.get());
                    } else {
                        provisioner.stopAll(branch.get());
                    }
                    return OperationResult.empty();
                },
                OperationKind.UNDELETE_BRANCH, (op, ctx) -> {
                    Branch branch = Cascade.requireBranch(store, op.resourceName());
                    lifecycle.resume(Cascade.requireProject(store, Project.nameOf(branch.projectId())), branch);
                    return OperationResult.empty();
                });
    }
}
