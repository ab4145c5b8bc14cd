package dev.oxbow.client;

import java.time.Instant;

/** A change feed ({@code <database>/cdf-configs/<id>}): every table of {@code postgresSchema} into Delta {@code catalog.schema.<table>}. */
public record CdfConfig(String name, String cdfConfigId, Instant createTime, String catalog, String schema, String postgresSchema) {
    public static CdfConfig of(String catalog, String schema, String postgresSchema) {
        return new CdfConfig(null, null, null, catalog, schema, postgresSchema);
    }
}
