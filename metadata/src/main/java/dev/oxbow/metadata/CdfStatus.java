package dev.oxbow.metadata;

import java.time.Instant;

/** Where one Postgres table of a change feed stands ({@code <cdf config>/cdf-statuses/<table>}). */
public record CdfStatus(
        String configName,
        String postgresTable,
        String ucTable,
        CdfState state,
        String committedLsn,
        Instant createTime,
        Instant lastSyncTime,
        String statusDetail) implements Resource {

    @Override
    public String name() {
        return configName + "/cdf-statuses/" + postgresTable;
    }

    @Override
    public String parentName() {
        return configName;
    }
}
