package dev.oxbow.controlplane.cdf;

import dev.oxbow.controlplane.compute.Computes;
import dev.oxbow.controlplane.identity.AccessControl;
import dev.oxbow.controlplane.identity.Principal;
import dev.oxbow.controlplane.operation.OperationExecutor;
import dev.oxbow.controlplane.operation.OperationRequest;
import dev.oxbow.controlplane.resource.ApiException;
import dev.oxbow.controlplane.resource.ListResult;
import dev.oxbow.controlplane.resource.Paging;
import dev.oxbow.controlplane.resource.Resources;
import dev.oxbow.metadata.Branch;
import dev.oxbow.metadata.CdfConfig;
import dev.oxbow.metadata.CdfStatus;
import dev.oxbow.metadata.Database;
import dev.oxbow.metadata.MetadataStore;
import dev.oxbow.metadata.Operation;
import dev.oxbow.metadata.OperationKind;
import dev.oxbow.metadata.Project;
import dev.oxbow.sync.cdf.ChangeFeed;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * CDF configs ({@code <database>/cdf-configs/<id>}) and their per-table statuses: validation and acceptance. A
 * create is refused, with nothing made, when the Postgres schema does not exist (checked on the compute, woken if
 * needed), the catalog is not configured, the caller may not write to it (admins, or CAN_MANAGE on the catalog),
 * its directory is not writable, or another feed already writes {@code catalog.schema}.
 */
public final class CdfService {
    static final String METADATA = "CdfConfigOperationMetadata";
    private static final Pattern ID = Pattern.compile("^[a-z][a-z0-9_]{0,62}$");
    private static final Pattern UC_NAME = Pattern.compile("^[A-Za-z0-9_]{1,255}$");
    private final MetadataStore store;
    private final OperationExecutor ops;
    private final Resources resources;
    private final AccessControl access;
    private final Computes computes;
    private final Map<String, Path> catalogs;
    private final Clock clock;

    public CdfService(MetadataStore store, OperationExecutor ops, Resources resources, AccessControl access, Computes computes,
                      Map<String, Path> catalogs, Clock clock) {
        this.store = store;
        this.ops = ops;
        this.resources = resources;
        this.access = access;
        this.computes = computes;
        this.catalogs = Map.copyOf(catalogs);
        this.clock = clock;
    }

    public Operation create(Principal caller, String databaseName, String cdfConfigId, String catalog, String schema, String postgresSchema) {
        required(catalog, "cdf_config.catalog");
        required(schema, "cdf_config.schema");
        required(postgresSchema, "cdf_config.postgres_schema");
        String id = cdfConfigId == null || cdfConfigId.isEmpty() ? postgresSchema : cdfConfigId;
        if (!ID.matcher(id).matches()) {
            throw ApiException.invalid("Field cdf_config_id must match [a-z][a-z0-9_]{0,62}, got '" + id + "'"
                    + (cdfConfigId == null || cdfConfigId.isEmpty() ? " (it defaults to the Postgres schema name; pass cdf_config_id)." : "."));
        }
        if (!UC_NAME.matcher(catalog).matches() || !UC_NAME.matcher(schema).matches()) {
            throw ApiException.invalid("catalog and schema must be letters, digits and _, got '" + catalog + "." + schema + "'.");
        }
        Database database = resources.database(databaseName);
        Branch branch = resources.liveBranch(database.parentName());
        Path root = catalogs.get(catalog);
        if (root == null) {
            throw ApiException.invalid("Catalog '" + catalog + "' is not configured; configured catalogs: " + catalogs.keySet()
                    + ". Start Oxbow with --catalog " + catalog + "=/path/to/root.");
        }
        if (!access.canWriteCatalog(caller, catalog)) {
            throw new ApiException(403, "PERMISSION_DENIED", caller.name() + " may not write change feeds into catalog " + catalog
                    + "; ask a workspace admin to grant CAN_MANAGE on it (PUT /api/2.0/permissions/oxbow-catalogs/" + catalog + ").");
        }
        Path destination = destination(root, catalog, schema);
        String name = CdfConfig.nameOf(database.name(), id);
        if (store.cdfConfigs().get(name).isPresent()) {
            throw ApiException.alreadyExists("cdf config with such id already exists: " + name);
        }
        for (CdfConfig other : store.cdfConfigs().all()) {
            if (other.catalog().equals(catalog) && other.schema().equals(schema)) {
                throw ApiException.alreadyExists("Another CDF config (" + other.name() + ") already writes into " + catalog + "." + schema
                        + "; a Delta table has one writer. Choose another schema.");
            }
        }
        checkPostgresSchema(branch, database, postgresSchema);
        CdfConfig config = new CdfConfig(branch.projectId(), branch.branchId(), database.databaseId(), id, UUID.randomUUID().toString(),
                clock.instant(), database.postgresDatabase(), postgresSchema, catalog, schema, destination.toString());
        Operation op = ops.create(name, branch.projectId(), OperationKind.CREATE_CDF_CONFIG, METADATA, OperationRequest.NONE);
        store.transaction(() -> {
            if (store.cdfConfigs().get(name).isPresent()) {
                throw ApiException.alreadyExists("cdf config with such id already exists: " + name);
            }
            store.cdfConfigs().put(config);
            store.operations().put(op);
        });
        ops.submit(op);
        return op;
    }

    /** {@code <root>/<schema>}: inside the catalog's directory and writable by Oxbow (created when missing). */
    private static Path destination(Path root, String catalog, String schema) {
        Path realRoot;
        try {
            realRoot = root.toRealPath();
        } catch (IOException e) {
            throw ApiException.invalid("Catalog '" + catalog + "' has no directory on this server; ask the admin to create it.");
        }
        Path dir = realRoot.resolve(schema);
        if (!Files.isWritable(Files.isDirectory(dir) ? dir : realRoot)) {
            throw ApiException.invalid("The destination " + catalog + "." + schema + " is not writable by Oxbow (" + (Files.isDirectory(dir) ? dir : realRoot)
                    + "); ask the admin to make the catalog's directory writable.");
        }
        try {
            if (Files.isDirectory(dir) && !dir.toRealPath().startsWith(realRoot)) {
                throw ApiException.invalid("The destination " + catalog + "." + schema + " resolves outside catalog " + catalog + " (a symbolic link?).");
            }
        } catch (IOException e) {
            throw ApiException.invalid("Cannot open the destination " + catalog + "." + schema + ".");
        }
        return dir;
    }

    private void checkPostgresSchema(Branch branch, Database database, String postgresSchema) {
        Project project = resources.projectOf(branch.projectId());
        try (Computes.Lease lease = computes.leasePrimary(project, branch, "cdf check")) {
            try (Connection c = computes.connect(project, branch, database.postgresDatabase())) {
                ChangeFeed.tablesOf(c, postgresSchema);
            }
        } catch (SQLException e) {
            if ("3F000".equals(e.getSQLState())) {
                throw new ApiException(404, "NOT_FOUND", "Postgres schema '" + postgresSchema + "' does not exist in database "
                        + database.postgresDatabase() + " on " + branch.name() + "; create it first.");
            }
            throw new ApiException(503, "TEMPORARILY_UNAVAILABLE", "Could not check the Postgres schema: " + e.getMessage());
        } catch (dev.oxbow.compute.ComputeException e) {
            throw new ApiException(503, "TEMPORARILY_UNAVAILABLE", "The branch's compute could not be reached: " + e.getMessage());
        }
    }

    private static void required(String value, String field) {
        if (value == null || value.isEmpty()) {
            throw ApiException.required(field);
        }
    }

    public CdfConfig get(String name) {
        return store.cdfConfigs().get(name).orElseThrow(() -> ApiException.notFound("cdf config", name));
    }

    public ListResult<CdfConfig> list(String databaseName, Integer pageSize, String pageToken) {
        Database database = resources.database(databaseName);
        return Paging.list(store.cdfConfigs(), database.name(), pageSize, pageToken);
    }

    public Operation delete(String name, boolean force) {
        CdfConfig config = get(name);
        Operation op = ops.create(name, config.projectId(), OperationKind.DELETE_CDF_CONFIG, METADATA, new OperationRequest.DeleteCdfConfig(force));
        store.operations().put(op);
        ops.submit(op);
        return op;
    }

    public CdfStatus status(String name) {
        return store.cdfStatuses().get(name).orElseThrow(() -> ApiException.notFound("cdf status", name));
    }

    public ListResult<CdfStatus> statuses(String configName, Integer pageSize, String pageToken) {
        get(configName);
        return Paging.list(store.cdfStatuses(), configName, pageSize, pageToken);
    }
}
