package dev.oxbow.controlplane.sync;

import dev.oxbow.controlplane.operation.OperationRequest;
import dev.oxbow.metadata.SchedulingPolicy;
import dev.oxbow.metadata.SyncedTableState;
import dev.oxbow.metadata.OperationKind;
import dev.oxbow.controlplane.identity.Principal;
import dev.oxbow.controlplane.operation.OperationExecutor;
import dev.oxbow.controlplane.catalog.CatalogService;
import dev.oxbow.controlplane.identity.AccessControl;
import dev.oxbow.controlplane.resource.ApiException;
import dev.oxbow.controlplane.resource.Resources;
import dev.oxbow.controlplane.sql.DatabaseService;
import dev.oxbow.metadata.Branch;
import dev.oxbow.metadata.MetadataStore;
import dev.oxbow.metadata.Operation;
import dev.oxbow.metadata.SyncedTable;
import dev.oxbow.sync.SyncException;
import dev.oxbow.sync.SyncRole;
import dev.oxbow.sync.SyncSpec;
import dev.oxbow.sync.TableSync;

import java.time.Clock;
import java.time.Instant;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Synced tables ({@code synced_tables/<catalog>.<schema>.<table>}): validation and acceptance; the source is
 * checked at create time (it exists, its types map to Postgres, the keys are columns, the change data feed is
 * on for incremental modes). {@link SyncedTableOperations} does the work.
 */
public final class SyncedTableService {
    private static final String METADATA = "SyncedTableOperationMetadata";
    private static final Pattern ID = Pattern.compile("^[A-Za-z0-9_]+\\.[A-Za-z0-9_]+\\.[A-Za-z0-9_]+$");

    private final MetadataStore store;
    private final OperationExecutor ops;
    private final Resources resources;
    private final SourceCatalogs catalogs;
    private final CatalogService postgresCatalogs;
    private final AccessControl access;
    private final SyncRunner runner;
    private final Clock clock;
    private final DatabaseService databases;

    public SyncedTableService(MetadataStore store, OperationExecutor ops, Resources resources, SourceCatalogs catalogs,
                              CatalogService postgresCatalogs, AccessControl access, SyncRunner runner, Clock clock,
                              DatabaseService databases) {
        this.databases = databases;
        this.postgresCatalogs = postgresCatalogs;
        this.access = access;
        this.store = store;
        this.ops = ops;
        this.resources = resources;
        this.catalogs = catalogs;
        this.runner = runner;
        this.clock = clock;
    }

    /**
     * The spec with {@code branch} and {@code postgres_database} taken from the Postgres catalog the id's first part
     * names, when the spec leaves them out; a spec that names other ones than the catalog's is refused. A catalog
     * {@code caller} may not use is not looked at (its branch is no one else's business): the spec must name the target.
     */
    public SyncedTableSpec resolveTarget(Principal caller, String syncedTableId, SyncedTableSpec spec) {
        if (spec == null || syncedTableId == null || !ID.matcher(syncedTableId).matches()) {
            return spec;
        }
        var catalog = postgresCatalogs.find(syncedTableId.substring(0, syncedTableId.indexOf('.')))
                .filter(c -> store.projects().get(dev.oxbow.metadata.Project.nameOf(c.projectId())).filter(p -> access.level(caller, p) != AccessControl.Level.NONE).isPresent());
        if (catalog.isEmpty()) {
            return spec;
        }
        var c = catalog.get();
        if ((spec.branch() != null && !spec.branch().equals(c.branchName()))
                || (spec.postgresDatabase() != null && !spec.postgresDatabase().equals(c.postgresDatabase()))) {
            throw ApiException.invalid("Catalog " + c.catalogId() + " names branch " + c.branchName() + " and database " + c.postgresDatabase()
                    + "; leave spec.branch and spec.postgres_database out, or set them to those.");
        }
        return new SyncedTableSpec(spec.sourceTableFullName(), spec.primaryKeyColumns(), spec.timeseriesKey(), spec.schedulingPolicy(),
                c.branchName(), c.postgresDatabase(), spec.createDatabaseObjectsIfMissing(), spec.unsupported());
    }

    /** Creates the synced table; {@code spec} as {@link #resolveTarget} returned it. */
    public Operation create(Principal caller, String syncedTableId, SyncedTableSpec spec) {
        if (syncedTableId == null || syncedTableId.isEmpty()) {
            throw ApiException.invalid("Field 'synced_table_id' is required, expected non-default value (not \"\")!");
        }
        if (!ID.matcher(syncedTableId).matches()) {
            throw ApiException.invalid("Field synced_table_id must be catalog.schema.table of letters, digits and _, got '" + syncedTableId + "'.");
        }
        if (spec == null) {
            throw ApiException.required("spec");
        }
        if (!spec.unsupported().isEmpty()) {
            throw ApiException.invalid("Oxbow does not support " + String.join(", ", spec.unsupported()) + " on synced tables yet; remove them from the spec.");
        }
        if (spec.sourceTableFullName() == null) throw ApiException.required("spec.source_table_full_name");
        if (spec.primaryKeyColumns().isEmpty()) throw ApiException.invalid("A primary key is required: set spec.primary_key_columns.");
        if (spec.schedulingPolicy() == null) throw ApiException.required("spec.scheduling_policy");
        SchedulingPolicy policy = java.util.Arrays.stream(SchedulingPolicy.values())
                .filter(p -> p.name().equals(spec.schedulingPolicy())).findFirst()
                .orElseThrow(() -> ApiException.invalid("spec.scheduling_policy must be one of SNAPSHOT, TRIGGERED, CONTINUOUS, got '"
                        + spec.schedulingPolicy() + "'."));
        if (spec.branch() == null) throw ApiException.required("spec.branch");
        if (spec.postgresDatabase() == null) throw ApiException.required("spec.postgres_database");
        Branch branch = resources.liveBranch(spec.branch());
        boolean databaseMissing = store.databases().list(branch.name()).stream().noneMatch(d -> d.postgresDatabase().equals(spec.postgresDatabase()));
        if (databaseMissing && !Boolean.TRUE.equals(spec.createDatabaseObjectsIfMissing())) {
            throw new ApiException(404, "NOT_FOUND", "Postgres database '" + spec.postgresDatabase() + "' does not exist on " + branch.name()
                    + "; create it first (POST " + branch.name() + "/databases) or set spec.create_database_objects_if_missing.");
        }
        String name = SyncedTable.nameOf(syncedTableId);
        if (store.syncedTables().get(name).isPresent()) {
            throw ApiException.alreadyExists("synced table with such id already exists: " + name);
        }
        String[] parts = syncedTableId.split("\\.");
        try {
            SyncRole.checkSchemaName(parts[1]);
        } catch (SyncException e) {
            throw ApiException.invalid(e.getMessage());
        }
        SourceCatalogs.Source source = catalogs.resolve(caller, spec.sourceTableFullName());
        String location = source.location();
        SyncSpec check = new SyncSpec(syncedTableId, location, parts[1], parts[2], spec.primaryKeyColumns(), spec.timeseriesKey(),
                policy.incremental());
        try {
            TableSync.validate(check, source.open());
        } catch (SyncException e) {
            throw ApiException.invalid(e.getMessage());
        }
        if (databaseMissing) {
            // create_database_objects_if_missing: the database first (owned by the project owner's role), queued before the table
            databases.create(branch.name(), null, new dev.oxbow.controlplane.resource.Specs.DatabaseSpec(spec.postgresDatabase(), null), false);
        }
        Instant now = clock.instant();
        SyncedTable table = new SyncedTable(syncedTableId, UUID.randomUUID().toString(), now, branch.projectId(), branch.name(),
                spec.postgresDatabase(), spec.sourceTableFullName(), location, spec.primaryKeyColumns(), spec.timeseriesKey(),
                policy, SyncedTableState.SYNCED_TABLE_PROVISIONING, null, null, null, null, null);
        Operation op = ops.create(name, branch.projectId(), OperationKind.CREATE_SYNCED_TABLE, METADATA,
                new OperationRequest.CreateSyncedTable(spec.createDatabaseObjectsIfMissing() == null || spec.createDatabaseObjectsIfMissing()));
        store.transaction(() -> {
            if (store.syncedTables().get(name).isPresent()) {
                throw ApiException.alreadyExists("synced table with such id already exists: " + name);
            }
            store.syncedTables().put(table);
            store.operations().put(op);
        });
        ops.submit(op);
        return op;
    }

    /** The synced table with its status as of now (a source ahead of Postgres shows, see {@link SyncRunner#present}). */
    public SyncedTable get(String name) {
        return runner.present(store.syncedTables().get(name).orElseThrow(() -> ApiException.notFound("synced table", name)));
    }

    /** Deletes the synced table; {@code purgeData} also drops the Postgres table (otherwise it stays, no longer updated). */
    public Operation delete(String name, boolean purgeData) {
        SyncedTable t = get(name);
        Operation op = ops.create(name, t.projectId(), OperationKind.DELETE_SYNCED_TABLE, METADATA, new OperationRequest.DeleteSyncedTable(purgeData));
        store.operations().put(op);
        ops.submit(op);
        return op;
    }

    /** Starts a sync now (Oxbow extension, like Databricks' "Sync now"): incremental for TRIGGERED/CONTINUOUS, a full copy for SNAPSHOT. */
    public Operation sync(String name) {
        SyncedTable t = get(name);
        if (t.lastProcessedCommitVersion() == null && !t.state().failed()) {
            throw ApiException.invalidState("Synced table " + name + " is still loading its initial snapshot; wait for the create operation.");
        }
        Operation op = ops.create(name, t.projectId(), OperationKind.SYNC_SYNCED_TABLE, METADATA, OperationRequest.NONE);
        store.operations().put(op);
        ops.submit(op);
        return op;
    }

    public java.util.Optional<dev.oxbow.sync.SyncProgress> progress(String name) {
        return runner.progress(name);
    }
}
