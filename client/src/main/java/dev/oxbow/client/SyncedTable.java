package dev.oxbow.client;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Instant;
import java.util.List;

/** A synced table (api.md §4.9): a Delta table kept copied into a Postgres table; named synced_tables/{catalog}.{schema}.{table}. */
public record SyncedTable(String name, String syncedTableId, String uid, Instant createTime, Spec spec, Status status) {

    public static SyncedTable of(Spec spec) {
        return new SyncedTable(null, null, null, null, spec, null);
    }

    public record Spec(String sourceTableFullName, List<String> primaryKeyColumns, String timeseriesKey, String schedulingPolicy,
                       String branch, String postgresDatabase, Boolean createDatabaseObjectsIfMissing, String existingPipelineId,
                       NewPipelineSpec newPipelineSpec) {}

    public record NewPipelineSpec(String storageCatalog, String storageSchema, String budgetPolicyId) {}

    /** {@code lastSync} and {@code ongoingSyncProgress} stay JSON: their shape is still settling upstream. */
    public record Status(String detailedState, String message, String pipelineId, String project, String provisioningPhase,
                         String unityCatalogProvisioningState, Long lastProcessedCommitVersion, Instant lastSyncTime, JsonNode lastSync,
                         JsonNode ongoingSyncProgress) {

        /** ONLINE_* states: the Postgres table serves the synced data (possibly while an update runs or after one failed). */
        public boolean online() {
            return detailedState != null && detailedState.startsWith("SYNCED_TABLE_ONLINE");
        }
    }
}
