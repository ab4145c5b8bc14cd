package dev.oxbow.controlplane.catalog;

import dev.oxbow.controlplane.operation.OperationContext;
import dev.oxbow.controlplane.operation.OperationHandler;
import dev.oxbow.controlplane.operation.OperationResult;
import dev.oxbow.controlplane.resource.ApiException;
import dev.oxbow.metadata.MetadataStore;
import dev.oxbow.metadata.Operation;
import dev.oxbow.metadata.OperationKind;
import dev.oxbow.metadata.PostgresCatalog;

import java.util.Map;

/** The work behind catalog operations: metadata only, so both are idempotent. */
public final class CatalogOperations {
    private final MetadataStore store;

    public CatalogOperations(MetadataStore store) {
        this.store = store;
    }

    public Map<OperationKind, OperationHandler> handlers() {
        OperationHandler create = new OperationHandler() {
            @Override
            public OperationResult run(Operation op, OperationContext ctx) {
                PostgresCatalog catalog = store.catalogs().get(op.resourceName())
                        .orElseThrow(() -> ApiException.notFound("catalog", op.resourceName()));
                boolean databaseThere = store.databases().list(catalog.branchName()).stream()
                        .anyMatch(d -> d.postgresDatabase().equals(catalog.postgresDatabase()));
                if (!databaseThere) {
                    // the database operation queued before this one failed (its error is on that operation)
                    throw new ApiException(404, "NOT_FOUND", "Postgres database '" + catalog.postgresDatabase() + "' does not exist on "
                            + catalog.branchName() + ": it could not be created (see the branch's database operations).");
                }
                return OperationResult.of(catalog);
            }

            @Override
            public void compensate(Operation op) {
                store.catalogs().delete(op.resourceName());
            }
        };
        OperationHandler delete = (op, ctx) -> {
            store.catalogs().delete(op.resourceName());
            return OperationResult.empty();
        };
        return Map.of(OperationKind.CREATE_CATALOG, create, OperationKind.DELETE_CATALOG, delete);
    }
}
