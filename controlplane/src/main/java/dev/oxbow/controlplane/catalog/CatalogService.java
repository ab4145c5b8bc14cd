package dev.oxbow.controlplane.catalog;

import dev.oxbow.controlplane.operation.OperationExecutor;
import dev.oxbow.controlplane.resource.ApiException;
import dev.oxbow.controlplane.resource.Resources;
import dev.oxbow.controlplane.resource.Specs;
import dev.oxbow.controlplane.sql.DatabaseService;
import dev.oxbow.metadata.Branch;
import dev.oxbow.metadata.Database;
import dev.oxbow.metadata.MetadataStore;
import dev.oxbow.metadata.Operation;
import dev.oxbow.metadata.OperationKind;
import dev.oxbow.metadata.PostgresCatalog;

import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Catalogs ({@code catalogs/<id>}): a name for one branch's Postgres database. Creating one may create the
 * database first ({@code create_database_if_missing}); that database operation is queued ahead of the catalog's on
 * the same project, so the catalog operation finds it done (or failed, and fails too). Deleting a catalog leaves the
 * database alone, as in Lakebase.
 */
public final class CatalogService {
    static final String METADATA = "CatalogOperationMetadata";
    /** Unity Catalog's identifier rule as Oxbow applies it to synced-table ids: letters, digits, underscores. */
    private static final Pattern ID = Pattern.compile("^[A-Za-z0-9_]{1,255}$");
    private final MetadataStore store;
    private final OperationExecutor ops;
    private final Resources resources;
    private final DatabaseService databases;
    private final Set<String> deltaCatalogs;
    private final Clock clock;

    /** {@code deltaCatalogs}: the Delta catalogs the admin configured; a Postgres catalog may not take one of their names. */
    public CatalogService(MetadataStore store, OperationExecutor ops, Resources resources, DatabaseService databases,
                          Set<String> deltaCatalogs, Clock clock) {
        this.store = store;
        this.ops = ops;
        this.resources = resources;
        this.databases = databases;
        this.deltaCatalogs = Set.copyOf(deltaCatalogs);
        this.clock = clock;
    }

    /** The live branch a create would use; the API checks the caller's right to manage its project before {@link #create}. */
    public Branch targetBranch(CatalogSpec spec) {
        if (spec == null) {
            throw ApiException.required("catalog.spec");
        }
        if (spec.branch() == null || spec.branch().isEmpty()) {
            throw ApiException.required("spec.branch");
        }
        if (!spec.branch().startsWith("projects/")) {
            throw ApiException.invalid("spec.branch must be a full branch name such as projects/my-project/branches/production, got '"
                    + spec.branch() + "'.");
        }
        return resources.liveBranch(spec.branch());
    }

    public Operation create(String catalogId, CatalogSpec spec) {
        if (catalogId == null || catalogId.isEmpty()) {
            throw ApiException.invalid("Field 'catalog_id' is required, expected non-default value (not \"\")!");
        }
        if (!ID.matcher(catalogId).matches()) {
            throw ApiException.invalid("Field catalog_id must be 1 to 255 letters, digits and _, got '" + catalogId + "'.");
        }
        Branch branch = targetBranch(spec);
        if (spec.postgresDatabase() == null || spec.postgresDatabase().isEmpty()) {
            throw ApiException.required("spec.postgres_database");
        }
        String name = PostgresCatalog.nameOf(catalogId);
        if (deltaCatalogs.contains(catalogId) || store.catalogs().get(name).isPresent()) {
            throw ApiException.alreadyExists("catalog with such id already exists: " + name);
        }
        boolean create = Boolean.TRUE.equals(spec.createDatabaseIfMissing());
        Optional<Database> database = database(branch, spec.postgresDatabase());
        if (database.isEmpty() && !create) {
            throw new ApiException(404, "NOT_FOUND", "Postgres database '" + spec.postgresDatabase() + "' does not exist on " + branch.name()
                    + "; create it first (POST " + branch.name() + "/databases) or set spec.create_database_if_missing.");
        }
        if (database.isEmpty()) {
            // validated (name, quota) and queued now; the catalog's operation below runs after it on this project
            databases.create(branch.name(), null, new Specs.DatabaseSpec(spec.postgresDatabase(), null), false);
        }
        Instant now = clock.instant();
        PostgresCatalog catalog = new PostgresCatalog(catalogId, UUID.randomUUID().toString(), now, now, branch.projectId(),
                branch.branchId(), spec.postgresDatabase(), create);
        Operation op = ops.create(name, branch.projectId(), OperationKind.CREATE_CATALOG, METADATA, dev.oxbow.controlplane.operation.OperationRequest.NONE);
        store.transaction(() -> {
            if (store.catalogs().get(name).isPresent()) {
                throw ApiException.alreadyExists("catalog with such id already exists: " + name);
            }
            store.catalogs().put(catalog);
            store.operations().put(op);
        });
        ops.submit(op);
        return op;
    }

    public PostgresCatalog get(String name) {
        return store.catalogs().get(name).orElseThrow(() -> ApiException.notFound("catalog", name));
    }

    /** The catalog {@code catalogId} names, if there is one (synced tables resolve {@code catalog.schema.table} through it). */
    public Optional<PostgresCatalog> find(String catalogId) {
        return ID.matcher(catalogId).matches() ? store.catalogs().get(PostgresCatalog.nameOf(catalogId)) : Optional.empty();
    }

    public Operation delete(String name) {
        PostgresCatalog catalog = get(name);
        Operation op = ops.create(name, catalog.projectId(), OperationKind.DELETE_CATALOG, METADATA, dev.oxbow.controlplane.operation.OperationRequest.NONE);
        store.operations().put(op);
        ops.submit(op);
        return op;
    }

    private Optional<Database> database(Branch branch, String postgresDatabase) {
        return store.databases().list(branch.name()).stream().filter(d -> d.postgresDatabase().equals(postgresDatabase)).findFirst();
    }
}
