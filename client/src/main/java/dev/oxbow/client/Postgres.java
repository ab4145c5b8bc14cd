package dev.oxbow.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * The Lakebase API ({@code /api/2.0/postgres}, api.md §2): typed resources, long-running operations and paged lists.
 * Names are full resource names ("projects/p/branches/b"); bodies are the bare resource ({"spec":{…}}), given as
 * the SDK's records or as JSON.
 */
public final class Postgres {
    static final String BASE = "/api/2.0/postgres/";

    private final OxbowClient client;
    private final ObjectMapper json;

    Postgres(OxbowClient client) {
        this.client = client;
        this.json = client.json();
    }

    // ---- projects

    public Operation<Project> createProject(String projectId, Object project) {
        return create("", "projects", "project_id", projectId, false, project, Project.class);
    }

    public Project getProject(String name) {
        return get(name, Project.class);
    }

    public Paged<Project> listProjects(boolean showDeleted) {
        return list("", "projects", showDeleted, Project.class);
    }

    public Operation<Project> updateProject(String name, Object project, String updateMask) {
        return update(name, project, updateMask, Project.class);
    }

    public Operation<Empty> deleteProject(String name, boolean purge) {
        return delete(name, "purge", flag(purge));
    }

    public Operation<Empty> undeleteProject(String name) {
        return undelete(name);
    }

    // ---- branches

    public Operation<Branch> createBranch(String parent, String branchId, Object branch, boolean replaceExisting) {
        return create(parent, "branches", "branch_id", branchId, replaceExisting, branch, Branch.class);
    }

    public Branch getBranch(String name) {
        return get(name, Branch.class);
    }

    public Paged<Branch> listBranches(String parent, boolean showDeleted) {
        return list(parent, "branches", showDeleted, Branch.class);
    }

    public Operation<Branch> updateBranch(String name, Object branch, String updateMask) {
        return update(name, branch, updateMask, Branch.class);
    }

    public Operation<Empty> deleteBranch(String name, boolean purge) {
        return delete(name, "purge", flag(purge));
    }

    public Operation<Empty> undeleteBranch(String name) {
        return undelete(name);
    }

    /**
     * Oxbow extension: restores the branch in place to a past point (exactly one of {@code lsn} and
     * {@code time}, RFC 3339); its previous state is kept as the branch {@code <id>_old_<timestamp>}.
     */
    public Operation<Branch> restoreBranch(String name, String lsn, String time) {
        var body = json.createObjectNode();
        if (lsn != null) {
            body.put("source_branch_lsn", lsn);
        }
        if (time != null) {
            body.put("source_branch_time", time);
        }
        return start("POST", name + ":restore", Map.of(), body, Branch.class);
    }

    /** Oxbow extension: replaces the branch's data with its parent's head. */
    public Operation<Branch> resetBranch(String name) {
        return start("POST", name + ":reset", Map.of(), json.createObjectNode(), Branch.class);
    }

    /**
     * Oxbow extension: what differs between {@code branch} and {@code against} (a branch id or name of the same
     * project) in one database ({@code null}: the default): the schema as DDL that, run on {@code against}, makes it
     * match {@code branch}, and per table the rows {@code branch} added, removed and changed, with up to
     * {@code pageSize} examples of each ({@code null}: 10). The JSON is documented in the README.
     */
    public JsonNode diffBranches(String branch, String against, boolean schemaOnly, String database, Integer pageSize) {
        Map<String, Object> query = new LinkedHashMap<>();
        query.put("against", against);
        query.put("schema_only", schemaOnly ? "true" : null);
        query.put("database", database);
        query.put("page_size", pageSize);
        return client.call("GET", "/api/2.0/oxbow/" + branch + ":diff", query, null);
    }

    // ---- endpoints

    public Operation<Endpoint> createEndpoint(String parent, String endpointId, Object endpoint, boolean replaceExisting) {
        return create(parent, "endpoints", "endpoint_id", endpointId, replaceExisting, endpoint, Endpoint.class);
    }

    public Endpoint getEndpoint(String name) {
        return get(name, Endpoint.class);
    }

    public Paged<Endpoint> listEndpoints(String parent) {
        return list(parent, "endpoints", false, Endpoint.class);
    }

    public Operation<Endpoint> updateEndpoint(String name, Object endpoint, String updateMask) {
        return update(name, endpoint, updateMask, Endpoint.class);
    }

    public Operation<Empty> deleteEndpoint(String name) {
        return delete(name);
    }

    // ---- roles

    /** {@code roleId} may be null: the server picks one. */
    public Operation<Role> createRole(String parent, String roleId, Object role, boolean replaceExisting) {
        return create(parent, "roles", "role_id", roleId, replaceExisting, role, Role.class);
    }

    public Role getRole(String name) {
        return get(name, Role.class);
    }

    public Paged<Role> listRoles(String parent) {
        return list(parent, "roles", false, Role.class);
    }

    public Operation<Role> updateRole(String name, Object role, String updateMask) {
        return update(name, role, updateMask, Role.class);
    }

    public Operation<Empty> deleteRole(String name, String reassignOwnedTo) {
        return delete(name, "reassign_owned_to", reassignOwnedTo);
    }

    // ---- databases

    /** {@code databaseId} may be null: the server derives one. */
    public Operation<Database> createDatabase(String parent, String databaseId, Object database, boolean replaceExisting) {
        return create(parent, "databases", "database_id", databaseId, replaceExisting, database, Database.class);
    }

    public Database getDatabase(String name) {
        return get(name, Database.class);
    }

    public Paged<Database> listDatabases(String parent) {
        return list(parent, "databases", false, Database.class);
    }

    public Operation<Database> updateDatabase(String name, Object database, String updateMask) {
        return update(name, database, updateMask, Database.class);
    }

    public Operation<Empty> deleteDatabase(String name) {
        return delete(name);
    }

    // ---- change feeds (CDF configs under a database, statuses under a config)

    /** {@code cdfConfigId} may be null (the server uses the Postgres schema's name). */
    public Operation<CdfConfig> createCdfConfig(String database, String cdfConfigId, Object cdfConfig) {
        return create(database, "cdf-configs", "cdf_config_id", cdfConfigId, false, cdfConfig, CdfConfig.class);
    }

    public CdfConfig getCdfConfig(String name) {
        return get(name, CdfConfig.class);
    }

    public Paged<CdfConfig> listCdfConfigs(String database) {
        return new Paged<>(client, BASE + database + "/cdf-configs", Map.of(), "cdf_configs", r -> decode(r, CdfConfig.class));
    }

    /** Stops the feed and drops its slot and publication; the Delta tables stay. {@code force}: even if the compute cannot be reached. */
    public Operation<Empty> deleteCdfConfig(String name, boolean force) {
        return delete(name, "force", flag(force));
    }

    public CdfStatus getCdfStatus(String name) {
        return get(name, CdfStatus.class);
    }

    public Paged<CdfStatus> listCdfStatuses(String cdfConfig) {
        return new Paged<>(client, BASE + cdfConfig + "/cdf-statuses", Map.of(), "cdf_statuses", r -> decode(r, CdfStatus.class));
    }

    // ---- data APIs (one per database, named <database>/data-api)

    /** {@code database} is the database's resource name; the body is a {@link DataApi} or its JSON. */
    public Operation<DataApi> createDataApi(String database, Object dataApi) {
        return start("POST", database + "/data-api", Map.of(), orEmpty(dataApi), DataApi.class);
    }

    /** {@code name} is {@code <database>/data-api}. */
    public DataApi getDataApi(String name) {
        return get(name, DataApi.class);
    }

    public Operation<DataApi> updateDataApi(String name, Object dataApi, String updateMask) {
        return update(name, dataApi, updateMask, DataApi.class);
    }

    public Operation<Empty> deleteDataApi(String name) {
        return delete(name);
    }

    // ---- credentials, operations

    public DatabaseCredential generateDatabaseCredential(Object request) {
        return decode(client.call("POST", BASE + "credentials", Map.of(), request), DatabaseCredential.class);
    }

    public DatabaseCredential generateDatabaseCredential(String endpoint) {
        return generateDatabaseCredential(DatabaseCredential.Request.forEndpoint(endpoint));
    }

    /** Any operation by name; its response stays JSON since the resource type is not known here. */
    public Operation<JsonNode> getOperation(String name) {
        return new Operation<>(client, client.get(BASE + name), Function.identity());
    }

    // ---- synced tables

    /** {@code syncedTableId} is the destination's three-part name catalog.schema.table. */
    public Operation<SyncedTable> createSyncedTable(String syncedTableId, Object syncedTable) {
        return create("", "synced_tables", "synced_table_id", syncedTableId, false, syncedTable, SyncedTable.class);
    }

    public SyncedTable getSyncedTable(String name) {
        return get(syncedTableName(name), SyncedTable.class);
    }

    public Operation<Empty> deleteSyncedTable(String name) {
        return deleteSyncedTable(name, false);
    }

    /** {@code purgeData} also drops the Postgres table; without it the table stays, no longer updated. */
    public Operation<Empty> deleteSyncedTable(String name, boolean purgeData) {
        return delete(syncedTableName(name), "purge_data", flag(purgeData));
    }

    /** Runs a sync now (Oxbow extension {@code POST synced_tables/<id>:sync}): incremental, or a full copy for SNAPSHOT. */
    public Operation<SyncedTable> syncSyncedTable(String name) {
        return start("POST", syncedTableName(name) + ":sync", Map.of(), null, SyncedTable.class);
    }

    /** "synced_tables/c.s.t" from either that or the bare three-part name. */
    public static String syncedTableName(String name) {
        return name.startsWith("synced_tables/") ? name : "synced_tables/" + name;
    }

    // ---- catalogs

    /** Registers a branch's Postgres database as {@code catalogs/<catalogId>}. */
    public Operation<Catalog> createCatalog(String catalogId, Object catalog) {
        return create("", "catalogs", "catalog_id", catalogId, false, catalog, Catalog.class);
    }

    public Catalog getCatalog(String name) {
        return get(catalogName(name), Catalog.class);
    }

    /** Removes the catalog; the Postgres database stays. */
    public Operation<Empty> deleteCatalog(String name) {
        return delete(catalogName(name));
    }

    /** "catalogs/c" from either that or the bare catalog id. */
    public static String catalogName(String name) {
        return name.startsWith("catalogs/") ? name : "catalogs/" + name;
    }

    // ---- snapshots (preview)

    /** Takes {@code projects/p/snapshots/<snapshotId>} of {@code snapshot.spec.source_branch} (a root branch) at its head. */
    public Operation<Snapshot> createSnapshot(String project, String snapshotId, Object snapshot) {
        return create(project.startsWith("projects/") ? project : "projects/" + project, "snapshots", "snapshot_id", snapshotId, false, snapshot, Snapshot.class);
    }

    public Snapshot getSnapshot(String name) {
        return get(name, Snapshot.class);
    }

    public Paged<Snapshot> listSnapshots(String project) {
        return list(project.startsWith("projects/") ? project : "projects/" + project, "snapshots", false, Snapshot.class);
    }

    /** Deletes the snapshot; with {@code allowMissing} a snapshot already gone is not an error. */
    public Operation<Empty> deleteSnapshot(String name, boolean allowMissing) {
        return delete(name, "allow_missing", flag(allowMissing));
    }

    public Snapshot.Schedule getSnapshotSchedule(String branch) {
        return get(branch + "/snapshot-schedule", Snapshot.Schedule.class);
    }

    /** Sets the branch's schedule; the answer is the schedule itself (not an operation). */
    public Snapshot.Schedule updateSnapshotSchedule(String branch, Object schedule, String updateMask) {
        return decode(updateSnapshotScheduleJson(branch, schedule, updateMask), Snapshot.Schedule.class);
    }

    /** As {@link #updateSnapshotSchedule}, the server's JSON untouched (the CLI prints it). */
    public JsonNode updateSnapshotScheduleJson(String branch, Object schedule, String updateMask) {
        return client.call("PATCH", BASE + branch + "/snapshot-schedule", query("update_mask", updateMask), schedule);
    }

    // ---- raw JSON forms, for callers that pass the server's answer on untouched

    public JsonNode getJson(String name) {
        return client.get(BASE + name);
    }

    /** The raw items of {@code parent/collection} ("" parent for projects) with extra query parameters (page_size, show_deleted). */
    public Paged<JsonNode> listJson(String parent, String collection, Map<String, ?> query) {
        String path = BASE + collectionPath(parent, collection);
        // the items' key spells the collection with underscores (cdf-configs → cdf_configs)
        return new Paged<>(client, path, query, collection.replace('-', '_'), Function.identity());
    }

    /** Starts a long-running call and returns its operation; {@code type} decodes the eventual response. */
    public <T> Operation<T> start(String method, String path, Map<String, ?> query, Object body, Class<T> type) {
        JsonNode op = client.call(method, BASE + path, query, body);
        return new Operation<>(client, op, r -> decode(r, type));
    }

    /** POST parent/collection?<idParam>=id: the shape every create shares ("" parent for top-level collections). */
    private <T> Operation<T> create(String parent, String collection, String idParam, String id, boolean replaceExisting,
                                    Object body, Class<T> type) {
        return start("POST", collectionPath(parent, collection),
                query(idParam, id, "replace_existing", flag(replaceExisting)), orEmpty(body), type);
    }

    private <T> Operation<T> update(String name, Object body, String updateMask, Class<T> type) {
        return start("PATCH", name, query("update_mask", updateMask), body, type);
    }

    /** DELETE name with the delete's own query parameters as key/value pairs (null values left out). */
    private Operation<Empty> delete(String name, Object... queryPairs) {
        return start("DELETE", name, query(queryPairs), null, Empty.class);
    }

    private Operation<Empty> undelete(String name) {
        return start("POST", name + "/undelete", Map.of(), json.createObjectNode(), Empty.class);
    }

    /** "parent/collection", or just "collection" for the top-level ones (projects, synced_tables). */
    private static String collectionPath(String parent, String collection) {
        return (parent.isEmpty() ? "" : parent + "/") + collection;
    }

    private static String flag(boolean on) {
        return on ? "true" : null;
    }

    private <T> T get(String name, Class<T> type) {
        return decode(client.get(BASE + name), type);
    }

    private <T> Paged<T> list(String parent, String collection, boolean showDeleted, Class<T> type) {
        String path = BASE + collectionPath(parent, collection);
        return new Paged<>(client, path, query("show_deleted", flag(showDeleted)), collection, r -> decode(r, type));
    }

    private <T> T decode(JsonNode node, Class<T> type) {
        if (type == Empty.class) {
            return type.cast(new Empty());
        }
        return json.convertValue(node, type);
    }

    private Object orEmpty(Object body) {
        return body == null ? json.createObjectNode() : body;
    }

    private static Map<String, Object> query(Object... pairs) {
        Map<String, Object> q = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            if (pairs[i + 1] != null) {
                q.put((String) pairs[i], pairs[i + 1]);
            }
        }
        return q;
    }
}
