package dev.oxbow.controlplane.dataapi;

import dev.oxbow.controlplane.operation.OperationExecutor;
import dev.oxbow.controlplane.operation.OperationRequest;
import dev.oxbow.controlplane.resource.ApiException;
import dev.oxbow.controlplane.resource.Resources;
import dev.oxbow.controlplane.resource.UpdateMask;
import dev.oxbow.metadata.DataApi;
import dev.oxbow.metadata.DataApiState;
import dev.oxbow.metadata.Database;
import dev.oxbow.metadata.MetadataStore;
import dev.oxbow.metadata.Operation;
import dev.oxbow.metadata.OperationKind;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Data APIs on databases ({@code <database>/data-api}): validation and acceptance; {@link DataApiOperations} sets up the
 * authenticator role on the branch. Fields Oxbow cannot honour are refused by name, never dropped.
 */
public final class DataApiService {
    static final OperationKind CREATE = OperationKind.CREATE_DATA_API;
    static final OperationKind UPDATE = OperationKind.UPDATE_DATA_API;
    static final OperationKind DELETE = OperationKind.DELETE_DATA_API;
    static final DataApiState CREATING = DataApiState.CREATING;
    static final DataApiState READY = DataApiState.READY;
    private static final String METADATA = "DataApiOperationMetadata";
    private static final Set<String> UPDATABLE = Set.of("spec.db_schemas", "spec.db_extra_search_path", "spec.db_max_rows",
            "spec.db_aggregates_enabled", "spec.jwt_role_claim_key", "spec.jwt_cache_max_lifetime", "spec.openapi_mode",
            "spec.server_cors_allowed_origins", "spec.server_timing_enabled");
    private static final Pattern ORIGIN = Pattern.compile("https?://[A-Za-z0-9.-]+(:\\d{1,5})?");
    private static final int MAX_SCHEMAS = 32;

    private final MetadataStore store;
    private final OperationExecutor ops;
    private final Resources resources;
    private final Clock clock;

    public DataApiService(MetadataStore store, OperationExecutor ops, Resources resources, Clock clock) {
        this.store = store;
        this.ops = ops;
        this.resources = resources;
        this.clock = clock;
    }

    /** POST {@code <database>/data-api}: one data API per database. */
    public Operation create(String databaseName, DataApiSpec spec) {
        Database db = resources.database(databaseName);
        resources.liveBranch(db.parentName());
        DataApiSpec s = spec == null ? DataApiSpec.empty() : spec;
        refuseUnsupported(s, UPDATABLE);
        Instant now = clock.instant();
        DataApi api = new DataApi(db.projectId(), db.branchId(), db.databaseId(), now, now, CREATING, schemas("spec.db_schemas", s.dbSchemas()),
                schemas("spec.db_extra_search_path", s.dbExtraSearchPath()), maxRows(s.dbMaxRows()), openApiMode(s.openapiMode()),
                origins(s.serverCorsAllowedOrigins()), Boolean.TRUE.equals(s.serverTimingEnabled()), List.of(),
                Boolean.TRUE.equals(s.dbAggregatesEnabled()));
        if (current(databaseName).isPresent()) {
            throw ApiException.alreadyExists("data API already exists: " + DataApi.nameOf(databaseName));
        }
        Operation op = ops.create(api.name(), db.projectId(), CREATE, METADATA, new OperationRequest.PutDataApi(null));
        store.transaction(() -> {
            store.dataApis().put(api);
            store.operations().put(op);
        });
        ops.submit(op);
        return op;
    }

    /** GET {@code <database>/data-api}. */
    public DataApi get(String name) {
        return current(databaseOf(name)).orElseThrow(() -> ApiException.notFound("data API", name));
    }

    /** PATCH with an update_mask over the spec's fields; a masked field the body leaves out goes back to its default. */
    public Operation update(String name, DataApiSpec spec, Set<String> mask) {
        DataApi current = get(name);
        Set<String> paths = UpdateMask.check(mask, UPDATABLE);
        DataApiSpec s = spec == null ? DataApiSpec.empty() : spec;
        refuseUnsupported(s, paths);
        DataApi updated = new DataApi(current.projectId(), current.branchId(), current.databaseId(), current.createTime(), clock.instant(),
                CREATING,
                paths.contains("spec.db_schemas") ? schemas("spec.db_schemas", s.dbSchemas()) : current.dbSchemas(),
                paths.contains("spec.db_extra_search_path") ? schemas("spec.db_extra_search_path", s.dbExtraSearchPath()) : current.dbExtraSearchPath(),
                paths.contains("spec.db_max_rows") ? maxRows(s.dbMaxRows()) : current.dbMaxRows(),
                paths.contains("spec.openapi_mode") ? openApiMode(s.openapiMode()) : current.openapiMode(),
                paths.contains("spec.server_cors_allowed_origins") ? origins(s.serverCorsAllowedOrigins()) : current.serverCorsAllowedOrigins(),
                paths.contains("spec.server_timing_enabled") ? Boolean.TRUE.equals(s.serverTimingEnabled()) : current.serverTimingEnabled(),
                current.availableSchemas(),
                paths.contains("spec.db_aggregates_enabled") ? Boolean.TRUE.equals(s.dbAggregatesEnabled()) : current.dbAggregatesEnabled());
        Operation op = ops.create(name, current.projectId(), UPDATE, METADATA, new OperationRequest.PutDataApi(current));
        store.transaction(() -> {
            store.dataApis().put(updated);
            store.operations().put(op);
        });
        ops.submit(op);
        return op;
    }

    public Operation delete(String name) {
        DataApi current = get(name);
        Operation op = ops.create(name, current.projectId(), DELETE, METADATA, new OperationRequest.PutDataApi(current));
        store.operations().put(op);
        ops.submit(op);
        return op;
    }

    /** The data API of a database that still exists; a record older than its database belonged to a deleted namesake. */
    public Optional<DataApi> current(String databaseName) {
        Optional<Database> db = store.databases().get(databaseName);
        return store.dataApis().get(DataApi.nameOf(databaseName))
                .filter(api -> db.isPresent() && !api.createTime().isBefore(db.get().createTime()));
    }

    private static String databaseOf(String name) {
        if (!name.endsWith(DataApi.SUFFIX)) {
            throw ApiException.invalid("A data API's name is <database>" + DataApi.SUFFIX + ", got '" + name + "'.");
        }
        return name.substring(0, name.length() - DataApi.SUFFIX.length());
    }

    /** Fields of the SDK's spec that Oxbow has no equivalent for: refused when set (to anything but their zero value). */
    private static void refuseUnsupported(DataApiSpec s, Set<String> paths) {
        if (paths.contains("spec.jwt_role_claim_key") && s.jwtRoleClaimKey() != null) {
            throw ApiException.invalid("Field spec.jwt_role_claim_key is not supported by Oxbow: the Postgres role is the identity of the"
                    + " bearer token (an Oxbow database credential or personal access token), not a JWT claim; leave it unset.");
        }
        if (paths.contains("spec.jwt_cache_max_lifetime") && s.jwtCacheMaxLifetime() != null && !s.jwtCacheMaxLifetime().matches("0+(\\.0+)?s")) {
            throw ApiException.invalid("Field spec.jwt_cache_max_lifetime is not supported by Oxbow: a token's check is kept until the"
                    + " token expires or Oxbow's metadata changes (a revocation, a grant), at most 5 minutes; leave it unset.");
        }
    }

    private static List<String> schemas(String field, List<String> raw) {
        if (raw == null) {
            return List.of();
        }
        if (raw.size() > MAX_SCHEMAS) {
            throw ApiException.invalid("Field " + field + " names more than " + MAX_SCHEMAS + " schemas.");
        }
        List<String> out = new ArrayList<>();
        for (String schema : raw) {
            if (schema == null || schema.isBlank() || schema.length() > 63 || schema.indexOf('\0') >= 0) {
                throw ApiException.invalid("Field " + field + " must list schema names (1 to 63 characters), got '" + schema + "'.");
            }
            if (schema.startsWith("pg_") || schema.equals("information_schema")) {
                throw ApiException.invalid("Field " + field + " cannot expose the system schema '" + schema + "'.");
            }
            if (!out.contains(schema)) {
                out.add(schema);
            }
        }
        return out;
    }

    private static Long maxRows(Long raw) {
        if (raw == null || raw == 0) {
            return null;
        }
        if (raw < 0) {
            throw ApiException.invalid("Field spec.db_max_rows must be a positive number, got " + raw + ".");
        }
        return raw;
    }

    private static String openApiMode(String raw) {
        if (raw == null || raw.isEmpty() || raw.equals("OPEN_API_MODE_UNSPECIFIED")) {
            return null;
        }
        String mode = raw.toUpperCase(Locale.ROOT);
        if (!mode.equals(DataApiSpec.OPENAPI_DISABLED) && !mode.equals(DataApiSpec.OPENAPI_IGNORE_PRIVILEGES)) {
            throw ApiException.invalid("Field spec.openapi_mode must be " + DataApiSpec.OPENAPI_DISABLED + " or "
                    + DataApiSpec.OPENAPI_IGNORE_PRIVILEGES + " (unset: the description follows the caller's privileges), got '" + raw + "'.");
        }
        return mode;
    }

    private static List<String> origins(List<String> raw) {
        if (raw == null) {
            return List.of();
        }
        for (String origin : raw) {
            if (origin == null || !(origin.equals("*") || ORIGIN.matcher(origin).matches())) {
                throw ApiException.invalid("Field spec.server_cors_allowed_origins must list origins such as https://app.example.com"
                        + " (scheme, host, optional port) or *, got '" + origin + "'.");
            }
        }
        return List.copyOf(new java.util.LinkedHashSet<>(raw));
    }
}
