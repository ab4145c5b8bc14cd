package dev.oxbow.controlplane.testing;

import dev.oxbow.metadata.OperationKind;
import dev.oxbow.controlplane.compute.ComputeSizing;
import dev.oxbow.controlplane.branch.BranchService;
import dev.oxbow.controlplane.endpoint.EndpointRules;
import dev.oxbow.controlplane.history.Timelines;
import dev.oxbow.controlplane.operation.OperationExecutor;
import dev.oxbow.controlplane.operation.OperationHandler;
import dev.oxbow.controlplane.operation.OperationResult;
import dev.oxbow.controlplane.project.ProjectService;
import dev.oxbow.controlplane.resource.Limits;
import dev.oxbow.controlplane.resource.Resources;
import dev.oxbow.metadata.Operation;
import dev.oxbow.storage.BranchCloner;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The project and branch services over a {@link Fixture}, with an executor whose handlers only record the
 * operations they are given: what these tests check is what a call accepts, refuses and stores.
 */
public final class ServiceFixture implements AutoCloseable {
    public final Fixture f;
    public final List<Operation> ran = new CopyOnWriteArrayList<>();
    public final OperationExecutor executor;
    public final Resources resources;
    public final Timelines timelines;
    public final ProjectService projects;
    public final BranchService branches;

    public ServiceFixture(Path dir, Limits limits) {
        this.f = new Fixture(dir);
        Map<OperationKind, OperationHandler> handlers = new HashMap<>();
        for (OperationKind kind : List.of(OperationKind.CREATE_PROJECT, OperationKind.UPDATE_PROJECT, OperationKind.DELETE_PROJECT, OperationKind.UNDELETE_PROJECT,
                OperationKind.CREATE_BRANCH, OperationKind.UPDATE_BRANCH, OperationKind.DELETE_BRANCH, OperationKind.UNDELETE_BRANCH)) {
            handlers.put(kind, (op, ctx) -> {
                ran.add(op);
                return OperationResult.empty();
            });
        }
        this.executor = new OperationExecutor(f.store, handlers, f.clock, f.metrics);
        this.resources = new Resources(f.store);
        EndpointRules rules = new EndpointRules(limits, f.uids, ComputeSizing.defaults());
        this.timelines = new Timelines(f.store, f.computes, cloner(), f.layout, f.clock);
        this.projects = new ProjectService(f.store, executor, resources, rules, limits, f.uids, f.clock, Duration.ofDays(7));
        this.branches = new BranchService(f.store, executor, resources, rules, limits, f.uids, f.clock, Duration.ofDays(7), timelines,
                new dev.oxbow.controlplane.masking.MaskingRules(f.store, resources, f.clock));
    }

    public ServiceFixture(Path dir) {
        this(dir, Limits.defaults());
    }

    public static BranchCloner cloner() {
        return new BranchCloner();
    }

    public static Limits withProjects(int projects) {
        Limits d = Limits.defaults();
        return new Limits(d.maxAutoscaleCu(), d.maxSpreadCu(), d.branchesPerProject(), d.protectedBranchesPerProject(),
                d.activeComputesPerProject(), d.rolesPerBranch(), d.databasesPerBranch(), d.maxBranchTtlSeconds(),
                d.minSuspendSeconds(), d.maxSuspendSeconds(), d.minRetentionSeconds(), d.maxRetentionSeconds(), projects);
    }

    @Override
    public void close() {
        executor.close();
        f.close();
    }
}
