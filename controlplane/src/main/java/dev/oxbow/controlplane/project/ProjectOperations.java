package dev.oxbow.controlplane.project;

import dev.oxbow.controlplane.operation.OperationRequestCodec;
import dev.oxbow.controlplane.operation.OperationRequest;
import dev.oxbow.metadata.OperationKind;
import dev.oxbow.metadata.BranchState;
import dev.oxbow.controlplane.branch.BranchLifecycle;
import dev.oxbow.controlplane.compute.Provisioner;
import dev.oxbow.controlplane.history.FirstSnapshots;
import dev.oxbow.controlplane.operation.OperationContext;
import dev.oxbow.controlplane.operation.OperationHandler;
import dev.oxbow.controlplane.operation.OperationResult;
import dev.oxbow.controlplane.resource.Cascade;
import dev.oxbow.controlplane.resource.Defaults;
import dev.oxbow.metadata.Branch;
import dev.oxbow.metadata.Endpoint;
import dev.oxbow.metadata.MetadataStore;
import dev.oxbow.metadata.Operation;
import dev.oxbow.metadata.Project;

import java.util.Map;
import java.util.Optional;

/** The work behind project operations. */
public final class ProjectOperations {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ProjectOperations.class);
    private final OperationRequestCodec requests = new OperationRequestCodec();
    private final MetadataStore store;
    private final Provisioner provisioner;
    private final java.util.function.Consumer<Project> afterPurge;
    private final BranchLifecycle branches;
    private final FirstSnapshots firstSnapshots;

    /**
     * {@code afterPurge} runs once a project's files and records are gone (removes its objects from the object store);
     * a delete first cancels its branches' queued first snapshots ({@code firstSnapshots}).
     */
    public ProjectOperations(MetadataStore store, Provisioner provisioner, BranchLifecycle branches, java.util.function.Consumer<Project> afterPurge,
                             FirstSnapshots firstSnapshots) {
        this.firstSnapshots = firstSnapshots;
        this.afterPurge = afterPurge;
        this.store = store;
        this.provisioner = provisioner;
        this.branches = branches;
    }

    public Map<OperationKind, OperationHandler> handlers() {
        return Map.of(
                OperationKind.CREATE_PROJECT, new OperationHandler() {
                    @Override
                    public OperationResult run(Operation op, OperationContext ctx) throws Exception {
                        Project project = Cascade.requireProject(store, op.resourceName());
                        Branch root = Cascade.requireBranch(store, Branch.nameOf(project.projectId(), Defaults.DEFAULT_BRANCH));
                        dev.oxbow.compute.PhaseTimer phases = dev.oxbow.compute.PhaseTimer.start();
                        try (var unquoted = provisioner.withoutQuota(root)) {
                            phases.end("unquote");
                            java.util.OptionalLong size = java.util.OptionalLong.empty();
                            if (root.state() != BranchState.READY) {
                                size = java.util.OptionalLong.of(provisioner.initRoot(project, root)); // its steps: the "branch cluster created" line
                                phases.end("cluster");
                            }
                            ctx.pointTaken();
                            branches.bringUp(project, root, true, size);
                            phases.end("bring_up");
                        }
                        log.info("project created project={} {}", project.projectId(), phases);
                        return OperationResult.of(Cascade.requireProject(store, op.resourceName()));
                    }

                    @Override
                    public void compensate(Operation op) throws Exception {
                        Optional<Project> project = store.projects().get(op.resourceName());
                        if (project.isPresent()) {
                            provisioner.removeProject(project.get());
                            Cascade.deleteProject(store, op.resourceName());
                            afterPurge.accept(project.get());
                        }
                    }
                },
                OperationKind.UPDATE_PROJECT, (op, ctx) -> OperationResult.of(Cascade.requireProject(store, op.resourceName())),
                OperationKind.DELETE_PROJECT, (op, ctx) -> {
                    Optional<Project> project = store.projects().get(op.resourceName());
                    if (project.isEmpty()) {
                        return OperationResult.empty();
                    }
                    for (Branch b : store.branches().list(op.resourceName())) {
                        firstSnapshots.cancel(b.name());
                    }
                    if (requests.read(op, OperationRequest.Delete.class).purge()) {
                        provisioner.removeProject(project.get());
                        Cascade.deleteProject(store, op.resourceName());
                        afterPurge.accept(project.get());
                    } else {
                        for (Branch b : store.branches().list(op.resourceName())) {
                            provisioner.stopAll(b);
                        }
                    }
                    return OperationResult.empty();
                },
                OperationKind.UNDELETE_PROJECT, (op, ctx) -> {
                    Project project = Cascade.requireProject(store, op.resourceName());
                    for (Branch b : store.branches().list(project.name())) {
                        if (!b.deleted()) {
                            branches.resume(project, b);
                        }
                    }
                    return OperationResult.empty();
                });
    }
}
