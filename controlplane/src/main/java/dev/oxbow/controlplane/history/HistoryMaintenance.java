package dev.oxbow.controlplane.history;

import dev.oxbow.controlplane.background.BackgroundTasks;
import dev.oxbow.metadata.BranchState;
import dev.oxbow.controlplane.compute.Computes;
import dev.oxbow.controlplane.compute.Provisioner;
import dev.oxbow.controlplane.operation.OperationExecutor;
import dev.oxbow.metadata.Branch;
import dev.oxbow.metadata.Endpoint;
import dev.oxbow.metadata.MetadataStore;
import dev.oxbow.metadata.Project;
import dev.oxbow.storage.Snapshot;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Keeps every branch's history in shape in the background: a new snapshot once enough WAL or time has
 * passed since the last (so a restore replays a bounded amount of WAL), pruning of what the restore
 * window no longer needs, and the branch's logical size. Work runs in turn with the project's operations.
 */
public final class HistoryMaintenance {
    private static final Logger log = LoggerFactory.getLogger(HistoryMaintenance.class);

    private final MetadataStore store;
    private final Computes computes;
    private final Timelines timelines;
    private final Provisioner provisioner;
    private final OperationExecutor executor;
    private final HistoryPolicy policy;
    private final Clock clock;

    private final FirstSnapshots firstSnapshots;

    /** A branch whose first snapshot {@code firstSnapshots} has queued or is taking is left to it. */
    public HistoryMaintenance(MetadataStore store, Computes computes, Timelines timelines, Provisioner provisioner, OperationExecutor executor,
                       HistoryPolicy policy, Clock clock, FirstSnapshots firstSnapshots) {
        this.firstSnapshots = firstSnapshots;
        this.store = store;
        this.computes = computes;
        this.timelines = timelines;
        this.provisioner = provisioner;
        this.executor = executor;
        this.policy = policy;
        this.clock = clock;
    }

    public void start(BackgroundTasks tasks) {
        tasks.every("history-maintenance", policy.checkInterval(), policy.checkInterval(), this::checkAll);
    }

    /**
     * After a clone's create: its first snapshot ({@link Timelines#firstSnapshot}), then its own logical size (its
     * create recorded its parent's). Runs on {@link FirstSnapshots}' thread.
     */
    public void afterClone(String branchName) throws Exception {
        timelines.firstSnapshot(branchName);
        Branch branch = store.branches().get(branchName).orElse(null);
        Project project = branch == null ? null : store.projects().get(Project.nameOf(branch.projectId())).orElse(null);
        if (project == null || branch.deleted() || branch.state() != BranchState.READY || !computes.running(computes.readWriteEndpoint(branch))) {
            return; // gone, being replaced, or stopped again: the next pass while it runs measures it
        }
        long size = provisioner.logicalSize(project, branch);
        if (size > 0 && size != branch.logicalSizeBytes()) {
            store.branches().get(branchName).ifPresent(b -> store.branches().put(b.withLogicalSize(size)));
        }
    }

    /** One pass over every live branch; waits for the work it queued. */
    void checkAll() {
        for (Project project : store.projects().all()) {
            if (project.deleted()) {
                continue;
            }
            for (Branch branch : store.branches().list(project.name())) {
                if (branch.deleted() || branch.state() != BranchState.READY) {
                    continue;
                }
                try {
                    executor.enqueue(project.projectId(), () -> maintain(project.projectId(), branch.name())).get(10, TimeUnit.MINUTES);
                } catch (Exception e) {
                    log.warn("branch history maintenance failed branch={} cause={}", branch.name(), String.valueOf(e.getCause() == null ? e : e.getCause()));
                }
            }
        }
    }

    private void maintain(String projectId, String branchName) {
        Project project = store.projects().get(Project.nameOf(projectId)).orElse(null);
        Branch branch = store.branches().get(branchName).orElse(null);
        if (project == null || branch == null || branch.deleted() || branch.state() != BranchState.READY) {
            return; // changed while queued
        }
        try {
            List<Snapshot> snaps = timelines.snapshots(project, branch);
            Endpoint primary = computes.readWriteEndpoint(branch);
            if (snaps.isEmpty()) {
                if (!firstSnapshots.pending(branchName)) {
                    timelines.snapshot(project, branch); // a clone's first one lost to a restart, or a branch from before history
                }
            } else if (computes.running(primary)) {
                Snapshot last = snaps.get(snaps.size() - 1);
                long wal = timelines.currentLsn(project, branch) - last.lsnValue();
                Duration age = Duration.between(last.time(), clock.instant());
                if (policy.snapshotDue(wal, age, timelines.snapshotCopyBytes(project, branch))) {
                    timelines.snapshot(project, branch);
                }
                long size = provisioner.logicalSize(project, branch);
                if (size > 0 && size != branch.logicalSizeBytes()) {
                    store.branches().get(branchName).ifPresent(b -> store.branches().put(b.withLogicalSize(size)));
                }
            }
            timelines.prune(project, branch);
        } catch (Exception e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

}
