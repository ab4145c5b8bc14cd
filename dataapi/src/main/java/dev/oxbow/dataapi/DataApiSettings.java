package dev.oxbow.dataapi;

import java.time.Duration;
import java.util.List;

/**
 * A database's Data API settings (the {@code spec} of its {@code data-api} resource): exposed schemas, extra search path,
 * the row cap, the statement timeout every request runs under, and whether select= may aggregate.
 */
public record DataApiSettings(List<String> schemas, List<String> extraSearchPath, Integer maxRows, Duration statementTimeout,
                              OpenApiMode openApiMode, boolean aggregatesEnabled) {
    public enum OpenApiMode { FOLLOW_PRIVILEGES, IGNORE_PRIVILEGES, DISABLED }

    public DataApiSettings {
        schemas = schemas == null || schemas.isEmpty() ? List.of("public") : List.copyOf(schemas);
        extraSearchPath = extraSearchPath == null ? List.of("public") : List.copyOf(extraSearchPath);
        statementTimeout = statementTimeout == null ? Duration.ofSeconds(30) : statementTimeout;
        openApiMode = openApiMode == null ? OpenApiMode.FOLLOW_PRIVILEGES : openApiMode;
    }

    public DataApiSettings(List<String> schemas, List<String> extraSearchPath, Integer maxRows, Duration statementTimeout,
                           OpenApiMode openApiMode) {
        this(schemas, extraSearchPath, maxRows, statementTimeout, openApiMode, false);
    }

    public static DataApiSettings defaults() {
        return new DataApiSettings(null, null, null, null, null);
    }
}
