package dev.oxbow.controlplane.branch;

import dev.oxbow.metadata.BranchState;
import dev.oxbow.controlplane.compute.Computes;
import dev.oxbow.controlplane.compute.Provisioner;
import dev.oxbow.controlplane.history.Timelines;
import dev.oxbow.controlplane.resource.Cascade;
import dev.oxbow.compute.ComputeException;
import dev.oxbow.metadata.Branch;
import dev.oxbow.metadata.Endpoint;
import dev.oxbow.metadata.MetadataStore;
import dev.oxbow.metadata.Project;

import java.time.Clock;

/** Bringing a branch's computes up after its data exists, and back after a restart or undelete. */
public final class BranchLifecycle {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(BranchLifecycle.class);
    private final MetadataStore store;
    private final Computes computes;
    private final Provisioner provisioner;
    private final Clock clock;
    private final Timelines timelines;

    public BranchLifecycle(MetadataStore store, Computes computes, Provisioner provisioner, Clock clock, Timelines timelines) {
        this.timelines = timelines;
        this.store = store;
        this.computes = computes;
        this.provisioner = provisioner;
        this.clock = clock;
    }

    /**
     * Starts the branch's computes that should run, measures it, makes sure its history has a first
     * snapshot (restores need one), and marks it READY.
     */
    public void bringUp(Project project, Branch branch) throws Exception {
        bringUp(project, branch, true);
    }

    /**
     * As above; with {@code firstSnapshotNow} false a branch without snapshots is left so: a fresh clone, whose first
     * snapshot is taken after its create is done (its points are bridged to the parent's history until then).
     */
    public void bringUp(Project project, Branch branch, boolean firstSnapshotNow) throws Exception {
        bringUp(project, branch, firstSnapshotNow, java.util.OptionalLong.empty());
    }

    /**
     * As above, recording {@code knownSize} as the branch's logical size when present (measured by the caller already,
     * or its parent's for a fresh clone; history maintenance measures it again while it runs) instead of asking it.
     */
    public void bringUp(Project project, Branch branch, boolean firstSnapshotNow, java.util.OptionalLong knownSize) throws Exception {
        dev.oxbow.compute.PhaseTimer phases = dev.oxbow.compute.PhaseTimer.start();
        resume(project, branch);
        phases.end("start");
        long size = knownSize.isPresent() ? knownSize.getAsLong() : provisioner.logicalSize(project, branch);
        phases.end("size");
        if (firstSnapshotNow && timelines.snapshots(project, branch).isEmpty()) {
            timelines.snapshot(project, branch);
            phases.end("snapshot");
        }
        computes.settle(branch);
        Branch current = Cascade.requireBranch(store, branch.name());
        var now = clock.instant();
        store.branches().put(current.toBuilder().updateTime(now).state(BranchState.READY).pendingState(null)
                .stateChangeTime(current.state() == BranchState.READY ? current.stateChangeTime() : now).logicalSizeBytes(size).build());
        phases.end("ready");
        log.info("branch up branch={} {}", branch.name(), phases);
    }

    /** Starts every endpoint of the branch whose record says it runs; disabled ones are recorded IDLE. */
    public void resume(Project project, Branch branch) throws ComputeException {
        for (Endpoint e : store.endpoints().list(branch.name())) {
            if (e.disabled()) {
                computes.suspend(e);
            } else if (Computes.shouldRun(e)) {
                computes.start(project, branch, e);
            }
        }
    }
}
