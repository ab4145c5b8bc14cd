package dev.oxbow.controlplane.endpoint;

import dev.oxbow.controlplane.operation.OperationRequestCodec;
import dev.oxbow.controlplane.operation.OperationRequest;
import dev.oxbow.metadata.OperationKind;
import dev.oxbow.metadata.EndpointState;
import dev.oxbow.controlplane.compute.Computes;
import dev.oxbow.controlplane.compute.Provisioner;
import dev.oxbow.controlplane.operation.OperationContext;
import dev.oxbow.controlplane.operation.OperationHandler;
import dev.oxbow.controlplane.operation.OperationResult;
import dev.oxbow.controlplane.resource.ApiException;
import dev.oxbow.controlplane.resource.Cascade;
import dev.oxbow.metadata.Branch;
import dev.oxbow.metadata.Endpoint;
import dev.oxbow.metadata.MetadataStore;
import dev.oxbow.metadata.Operation;
import dev.oxbow.metadata.Project;

import java.util.Map;
import java.util.Optional;

/** The work behind endpoint operations: starting, reconfiguring, stopping servers. */
public final class EndpointOperations {
    private final OperationRequestCodec requests = new OperationRequestCodec();
    private final MetadataStore store;
    private final Computes computes;
    private final Provisioner provisioner;

    public EndpointOperations(MetadataStore store, Computes computes, Provisioner provisioner) {
        this.store = store;
        this.computes = computes;
        this.provisioner = provisioner;
    }

    public Map<OperationKind, OperationHandler> handlers() {
        return Map.of(
                OperationKind.CREATE_ENDPOINT, new OperationHandler() {
                    @Override
                    public OperationResult run(Operation op, OperationContext ctx) throws Exception {
                        Endpoint e = store.endpoints().get(op.resourceName()).orElseThrow(() -> ApiException.notFound("endpoint", op.resourceName()));
                        if (!e.readWrite() && e.state() == EndpointState.INIT) {
                            Branch branch = Cascade.requireBranch(store, e.parentName());
                            provisioner.cloneReplica(Cascade.requireProject(store, Project.nameOf(e.projectId())), branch, e);
                        }
                        return OperationResult.of(reconcile(op.resourceName(), false));
                    }

                    @Override
                    public void compensate(Operation op) throws Exception {
                        Optional<Endpoint> e = store.endpoints().get(op.resourceName());
                        if (e.isPresent()) {
                            remove(e.get());
                        }
                    }
                },
                OperationKind.UPDATE_ENDPOINT, new OperationHandler() {
                    @Override
                    public OperationResult run(Operation op, OperationContext ctx) throws Exception {
                        return OperationResult.of(reconcile(op.resourceName(), true));
                    }

                    /** A change the server refused (e.g. a bad setting) is undone: old record, old settings, running again. */
                    @Override
                    public void compensate(Operation op) throws Exception {
                        Endpoint previous = requests.read(op, OperationRequest.UpdateEndpoint.class).previous();
                        if (store.endpoints().get(op.resourceName()).isPresent()) {
                            store.endpoints().put(previous);
                            reconcile(op.resourceName(), true);
                        }
                    }
                },
                OperationKind.DELETE_ENDPOINT, (op, ctx) -> {
                    Optional<Endpoint> e = store.endpoints().get(op.resourceName());
                    if (e.isPresent()) {
                        remove(e.get());
                    }
                    return OperationResult.empty();
                });
    }

    /** Stops the server, removes a replica's own data, and forgets the endpoint. */
    private void remove(Endpoint e) throws Exception {
        computes.stop(e);
        if (!e.readWrite()) {
            Optional<Branch> branch = store.branches().get(e.parentName());
            Optional<Project> project = store.projects().get(Project.nameOf(e.projectId()));
            if (branch.isPresent() && project.isPresent()) {
                provisioner.removeReplica(project.get(), branch.get(), e);
            }
        }
        store.endpoints().delete(e.name());
    }

    /** Makes the server match the record: stopped when disabled, (re)started with the recorded settings otherwise. */
    private Endpoint reconcile(String name, boolean restart) throws Exception {
        Endpoint e = store.endpoints().get(name).orElseThrow(() -> ApiException.notFound("endpoint", name));
        Branch branch = Cascade.requireBranch(store, e.parentName());
        Project project = Cascade.requireProject(store, Project.nameOf(e.projectId()));
        if (e.disabled()) {
            return computes.suspend(e);
        }
        try {
            if (restart && computes.running(e)) {
                computes.restart(project, branch, e);
            } else {
                computes.start(project, branch, e);
            }
        } catch (dev.oxbow.compute.ComputeException failure) {
            throw refusedSetting(failure).orElseThrow(() -> failure);
        }
        return store.endpoints().get(name).orElseThrow();
    }

    /** Postgres' own words when it refused a setting at start, as a 400 the caller can act on. */
    private static Optional<ApiException> refusedSetting(Exception failure) {
        String message = failure.getMessage() == null ? "" : failure.getMessage();
        return message.lines()
                .filter(l -> l.contains("invalid value for parameter") || l.contains("unrecognized configuration parameter")
                        || l.contains("configuration file") && l.contains("contains errors"))
                .findFirst()
                .map(l -> ApiException.invalid("PostgreSQL refused the endpoint settings: "
                        + l.replaceFirst("^.*?(LOG|FATAL|ERROR):\\s*", "").strip() + " Fix spec.settings.pg_settings."));
    }
}
