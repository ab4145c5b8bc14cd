package dev.oxbow.metadata;

import java.time.Instant;
import java.util.List;

/**
 * The Data API of one database ({@code <database>/data-api}): the PostgREST-compatible REST interface's settings.
 * {@code state} is CREATING until the authenticator role is set up on the branch, then READY. {@code availableSchemas}
 * is what the database had when the data API was last created or updated.
 */
public record DataApi(
        String projectId,
        String branchId,
        String databaseId,
        Instant createTime,
        Instant updateTime,
        DataApiState state,
        List<String> dbSchemas,
        List<String> dbExtraSearchPath,
        Long dbMaxRows,
        String openapiMode,
        List<String> serverCorsAllowedOrigins,
        boolean serverTimingEnabled,
        List<String> availableSchemas,
        boolean dbAggregatesEnabled) implements Resource {

    public static final String SUFFIX = "/data-api";

    public DataApi {
        dbSchemas = dbSchemas == null ? List.of() : List.copyOf(dbSchemas);
        dbExtraSearchPath = dbExtraSearchPath == null ? List.of() : List.copyOf(dbExtraSearchPath);
        serverCorsAllowedOrigins = serverCorsAllowedOrigins == null ? List.of() : List.copyOf(serverCorsAllowedOrigins);
        availableSchemas = availableSchemas == null ? List.of() : List.copyOf(availableSchemas);
    }

    /** Without aggregates (the form before db_aggregates_enabled was honoured). */
    public DataApi(String projectId, String branchId, String databaseId, Instant createTime, Instant updateTime, DataApiState state,
                   List<String> dbSchemas, List<String> dbExtraSearchPath, Long dbMaxRows, String openapiMode,
                   List<String> serverCorsAllowedOrigins, boolean serverTimingEnabled, List<String> availableSchemas) {
        this(projectId, branchId, databaseId, createTime, updateTime, state, dbSchemas, dbExtraSearchPath, dbMaxRows, openapiMode,
                serverCorsAllowedOrigins, serverTimingEnabled, availableSchemas, false);
    }

    public static String nameOf(String databaseName) {
        return databaseName + SUFFIX;
    }

    @Override
    public String name() {
        return nameOf(parentName());
    }

    @Override
    public String parentName() {
        return Database.nameOf(projectId, branchId, databaseId);
    }

    public String branchNameOf() {
        return Branch.nameOf(projectId, branchId);
    }

    public DataApi withState(DataApiState newState, List<String> schemasFound, Instant now) {
        return new DataApi(projectId, branchId, databaseId, createTime, now, newState, dbSchemas, dbExtraSearchPath, dbMaxRows,
                openapiMode, serverCorsAllowedOrigins, serverTimingEnabled, schemasFound, dbAggregatesEnabled);
    }

    public DataApi withAggregates(boolean enabled) {
        return new DataApi(projectId, branchId, databaseId, createTime, updateTime, state, dbSchemas, dbExtraSearchPath, dbMaxRows,
                openapiMode, serverCorsAllowedOrigins, serverTimingEnabled, availableSchemas, enabled);
    }

    /** The same data API on a database record made anew (a branch reset or restore replaced them). */
    public DataApi recreatedAt(Instant now) {
        return new DataApi(projectId, branchId, databaseId, now, now, state, dbSchemas, dbExtraSearchPath, dbMaxRows,
                openapiMode, serverCorsAllowedOrigins, serverTimingEnabled, availableSchemas, dbAggregatesEnabled);
    }
}
