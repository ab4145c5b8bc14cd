package dev.oxbow.metadata;

import java.nio.file.Path;
import java.util.function.Supplier;

/**
 * The control plane's metadata: the only writer of the SQLite file. Calls made inside
 * {@link #transaction} commit or roll back together.
 */
public final class MetadataStore implements AutoCloseable {
    private final SqliteDatabase db;
    private final ResourceTable<Project> projects;
    private final ResourceTable<Branch> branches;
    private final ResourceTable<Endpoint> endpoints;
    private final ResourceTable<Role> roles;
    private final ResourceTable<Database> databases;
    private final ResourceTable<SyncedTable> syncedTables;
    private final ResourceTable<ProjectSnapshot> snapshots;
    private final ResourceTable<SnapshotSchedule> snapshotSchedules;
    private final ResourceTable<DataApi> dataApis;
    private final ResourceTable<PostgresCatalog> catalogs;
    private final ResourceTable<CdfConfig> cdfConfigs;
    private final ResourceTable<CdfStatus> cdfStatuses;
    private final ResourceTable<MaskingPolicy> maskingPolicies;
    private final OperationTable operations;
    private final IdentityTables identities;
    private final PermissionTable permissions;
    private final CatalogPermissionTable catalogPermissions;
    private final AuditLog audit;
    private final int schemaVersion;

    private MetadataStore(SqliteDatabase db) {
        this.db = db;
        RecordJson json = new RecordJson();
        this.schemaVersion = Migrations.apply(db);
        this.projects = new ResourceTable<>(db, json, "project", Project.class);
        this.branches = new ResourceTable<>(db, json, "branch", Branch.class);
        this.endpoints = new ResourceTable<>(db, json, "endpoint", Endpoint.class);
        this.roles = new ResourceTable<>(db, json, "role", Role.class);
        this.databases = new ResourceTable<>(db, json, "database", Database.class);
        this.syncedTables = new ResourceTable<>(db, json, "synced_table", SyncedTable.class);
        this.snapshots = new ResourceTable<>(db, json, "snapshot", ProjectSnapshot.class);
        this.snapshotSchedules = new ResourceTable<>(db, json, "snapshot_schedule", SnapshotSchedule.class);
        this.dataApis = new ResourceTable<>(db, json, "data_api", DataApi.class);
        this.catalogs = new ResourceTable<>(db, json, "catalog", PostgresCatalog.class);
        this.cdfConfigs = new ResourceTable<>(db, json, "cdf_config", CdfConfig.class);
        this.cdfStatuses = new ResourceTable<>(db, json, "cdf_status", CdfStatus.class);
        this.maskingPolicies = new ResourceTable<>(db, json, "masking_policy", MaskingPolicy.class);
        this.operations = new OperationTable(db, json);
        this.identities = new IdentityTables(db, json);
        this.permissions = new PermissionTable(db);
        this.catalogPermissions = new CatalogPermissionTable(db);
        this.audit = new AuditLog(db);
    }

    /** Opens (creating and migrating as needed) the SQLite metadata file. */
    public static MetadataStore open(Path file) {
        return new MetadataStore(new SqliteDatabase(file));
    }

    public <T> T transaction(Supplier<T> work) {
        return db.transaction(work);
    }

    public void transaction(Runnable work) {
        db.transaction(() -> {
            work.run();
            return null;
        });
    }

    public ResourceTable<Project> projects() { return projects; }
    public ResourceTable<Branch> branches() { return branches; }
    public ResourceTable<Endpoint> endpoints() { return endpoints; }
    public ResourceTable<Role> roles() { return roles; }
    public ResourceTable<Database> databases() { return databases; }
    public ResourceTable<SyncedTable> syncedTables() { return syncedTables; }
    public ResourceTable<ProjectSnapshot> snapshots() { return snapshots; }
    public ResourceTable<SnapshotSchedule> snapshotSchedules() { return snapshotSchedules; }
    public ResourceTable<DataApi> dataApis() { return dataApis; }
    public ResourceTable<PostgresCatalog> catalogs() { return catalogs; }
    public ResourceTable<CdfConfig> cdfConfigs() { return cdfConfigs; }
    public ResourceTable<CdfStatus> cdfStatuses() { return cdfStatuses; }
    public ResourceTable<MaskingPolicy> maskingPolicies() { return maskingPolicies; }
    public OperationTable operations() { return operations; }
    public IdentityTables identities() { return identities; }
    public PermissionTable permissions() { return permissions; }
    public CatalogPermissionTable catalogPermissions() { return catalogPermissions; }
    public AuditLog audit() { return audit; }
    public int schemaVersion() { return schemaVersion; }

    /**
     * A count that grows with every metadata write except audit appends: a cache of metadata is current while this
     * is the value it was read under.
     */
    public long changes() { return db.changes(); }

    @Override
    public void close() {
        db.close();
    }
}
