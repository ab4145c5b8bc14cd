package dev.oxbow.controlplane.dataapi;

import dev.oxbow.controlplane.compute.Computes;
import dev.oxbow.controlplane.operation.OperationContext;
import dev.oxbow.controlplane.operation.OperationHandler;
import dev.oxbow.controlplane.operation.OperationRequest;
import dev.oxbow.controlplane.operation.OperationRequestCodec;
import dev.oxbow.controlplane.operation.OperationResult;
import dev.oxbow.controlplane.resource.ApiException;
import dev.oxbow.controlplane.resource.Cascade;
import dev.oxbow.dataapi.ExposedSchemas;
import dev.oxbow.metadata.Branch;
import dev.oxbow.metadata.DataApi;
import dev.oxbow.metadata.Database;
import dev.oxbow.metadata.MetadataStore;
import dev.oxbow.metadata.Operation;
import dev.oxbow.metadata.OperationKind;
import dev.oxbow.metadata.Project;

import java.sql.Connection;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The work behind data API operations, on the branch's read-write compute (started for the occasion if suspended): the
 * schemas to expose must exist; the database's schemas are recorded. A failed create forgets its record, a failed update
 * restores the previous one.
 */
public final class DataApiOperations {
    private final MetadataStore store;
    private final Computes computes;
    private final Clock clock;
    private final OperationRequestCodec requests = new OperationRequestCodec();

    public DataApiOperations(MetadataStore store, Computes computes, Clock clock) {
        this.store = store;
        this.computes = computes;
        this.clock = clock;
    }

    public Map<OperationKind, OperationHandler> handlers() {
        Map<OperationKind, OperationHandler> handlers = new HashMap<>();
        handlers.put(DataApiService.CREATE, restoring(true));
        handlers.put(DataApiService.UPDATE, restoring(false));
        handlers.put(DataApiService.DELETE, (op, ctx) -> {
            store.dataApis().delete(op.resourceName());
            return OperationResult.empty();
        });
        return handlers;
    }

    private OperationHandler restoring(boolean deleteWhenNoPrevious) {
        return new OperationHandler() {
            @Override
            public OperationResult run(Operation op, OperationContext ctx) throws Exception {
                return apply(op);
            }

            @Override
            public void compensate(Operation op) {
                DataApi previous = requests.read(op, OperationRequest.PutDataApi.class).previous();
                if (previous != null) {
                    store.dataApis().put(previous);
                } else if (deleteWhenNoPrevious) {
                    store.dataApis().delete(op.resourceName());
                }
            }
        };
    }

    private OperationResult apply(Operation op) throws Exception {
        DataApi api = store.dataApis().get(op.resourceName()).orElseThrow(() -> ApiException.notFound("data API", op.resourceName()));
        Database db = store.databases().get(api.parentName()).orElseThrow(() -> ApiException.notFound("database", api.parentName()));
        Project project = Cascade.requireProject(store, Project.nameOf(api.projectId()));
        Branch branch = Cascade.requireBranch(store, db.parentName());
        List<String> found;
        try (Computes.Lease held = computes.leasePrimary(project, branch, "data API set-up");
             Connection c = computes.connect(project, branch, db.postgresDatabase())) {
            found = ExposedSchemas.available(c);
        }
        for (String schema : api.dbSchemas()) {
            if (!found.contains(schema)) {
                throw ApiException.invalid("Field spec.db_schemas names schema '" + schema + "', which does not exist in database "
                        + db.postgresDatabase() + "; create it first (existing: " + String.join(", ", found) + ").");
            }
        }
        DataApi ready = api.withState(DataApiService.READY, found, clock.instant());
        store.dataApis().put(ready);
        return OperationResult.of(ready);
    }
}
