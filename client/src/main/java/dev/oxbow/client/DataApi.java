package dev.oxbow.client;

import java.time.Instant;
import java.util.List;

/**
 * A database's Data API ({@code <database>/data-api}): the PostgREST-compatible REST interface, served at
 * {@code status.url} with an Oxbow database credential or personal access token as the bearer token.
 */
public record DataApi(String name, String parent, Instant createTime, Instant updateTime, Spec spec, Status status) {

    public static DataApi of(Spec spec) {
        return new DataApi(null, null, null, null, spec, null);
    }

    /** Null fields are left to the server's defaults; the jwt_* fields are refused by Oxbow when set. */
    public record Spec(List<String> dbSchemas, List<String> dbExtraSearchPath, Long dbMaxRows, Boolean dbAggregatesEnabled,
                       String jwtRoleClaimKey, String jwtCacheMaxLifetime, String openapiMode, List<String> serverCorsAllowedOrigins,
                       Boolean serverTimingEnabled) {

        public static Spec schemas(List<String> dbSchemas) {
            return new Spec(dbSchemas, null, null, null, null, null, null, null, null);
        }
    }

    public record Status(String url, List<String> availableSchemas, List<String> dbSchemas, List<String> dbExtraSearchPath, Long dbMaxRows,
                         Boolean dbAggregatesEnabled, String openapiMode, List<String> serverCorsAllowedOrigins, Boolean serverTimingEnabled) {}
}
