package dev.oxbow.controlplane;

import dev.oxbow.metadata.Branch;
import dev.oxbow.metadata.Endpoint;
import dev.oxbow.metadata.MetadataStore;
import dev.oxbow.metadata.Operation;
import dev.oxbow.metadata.Project;
import dev.oxbow.metadata.RecordJson;

import java.util.Map;
import java.util.Optional;

/** The work behind endpoint operations: starting, reconfiguring, stopping servers. */
final class EndpointOperations {
    private final MetadataStore store;
    private final Computes computes;
    private final RecordJson json = new RecordJson();

    EndpointOperations(MetadataStore store, Computes computes) {
        this.store = store;
        this.computes = computes;
    }

    Map<String, OperationHandler> handlers() {
        return Map.of(
                EndpointService.CREATE, new OperationHandler() {
                    @Override
                    public OperationResult run(Operation op, OperationContext ctx) throws Exception {
                        return OperationResult.of(reconcile(op.resourceName(), false));
                    }

                    @Override
                    public void compensate(Operation op) throws Exception {
                        Optional<Endpoint> e = store.endpoints().get(op.resourceName());
                        if (e.isPresent()) {
                            computes.stop(e.get());
                            store.endpoints().delete(op.resourceName());
                        }
                    }
                },
                EndpointService.UPDATE, new OperationHandler() {
                    @Override
                    public OperationResult run(Operation op, OperationContext ctx) throws Exception {
                        return OperationResult.of(reconcile(op.resourceName(), true));
                    }

                    /** A change the server refused (e.g. a bad setting) is undone: old record, old settings, running again. */
                    @Override
                    public void compensate(Operation op) throws Exception {
                        Endpoint previous = json.read((String) json.read(op.request(), Map.class).get("previous"), Endpoint.class);
                        if (store.endpoints().get(op.resourceName()).isPresent()) {
                            store.endpoints().put(previous);
                            reconcile(op.resourceName(), true);
                        }
                    }
                },
                EndpointService.DELETE, (op, ctx) -> {
                    Optional<Endpoint> e = store.endpoints().get(op.resourceName());
                    if (e.isPresent()) {
                        computes.stop(e.get());
                        store.endpoints().delete(op.resourceName());
                    }
                    return OperationResult.empty();
                });
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
