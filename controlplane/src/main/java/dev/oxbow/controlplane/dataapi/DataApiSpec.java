package dev.oxbow.controlplane.dataapi;

import java.util.List;

/**
 * The {@code spec} of a data API as the SDKs send it ({@code DataApiDataApiSpec}); null means "not given". Durations
 * stay in their wire form ({@code "300s"}): Oxbow only checks that none is set.
 */
public record DataApiSpec(List<String> dbSchemas, List<String> dbExtraSearchPath, Long dbMaxRows, Boolean dbAggregatesEnabled,
                          String jwtRoleClaimKey, String jwtCacheMaxLifetime, String openapiMode,
                          List<String> serverCorsAllowedOrigins, Boolean serverTimingEnabled) {
    public static final String OPENAPI_DISABLED = "OPEN_API_MODE_DISABLED";
    public static final String OPENAPI_IGNORE_PRIVILEGES = "OPEN_API_MODE_IGNORE_PRIVILEGES";

    public static DataApiSpec empty() {
        return new DataApiSpec(null, null, null, null, null, null, null, null, null);
    }
}
