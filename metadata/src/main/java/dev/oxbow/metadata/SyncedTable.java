package dev.oxbow.metadata;

import java.time.Instant;
import java.util.List;

/**
 * A synced table: the Delta table {@code sourceTableFullName} (or path) kept in sync inside the Postgres table
 * {@code <schema>.<table>} of {@code postgresDatabase} on {@code branch}, named {@code synced_tables/<catalog>.<schema>.<table>}.
 * {@code lastProcessedCommitVersion} mirrors the version committed with the data in Postgres (which is authoritative).
 */
public record SyncedTable(
        String syncedTableId,
        String uid,
        Instant createTime,
        String projectId,
        String branch,
        String postgresDatabase,
        String sourceTableFullName,
        String sourceLocation,
        List<String> primaryKeyColumns,
        String timeseriesKey,
        SchedulingPolicy schedulingPolicy,
        SyncedTableState state,
        String message,
        Long lastProcessedCommitVersion,
        Instant lastCommitTime,
        Instant lastSyncStart,
        Instant lastSyncEnd) implements Resource {

    public static final String PARENT = "synced_tables";

    public static String nameOf(String syncedTableId) {
        return PARENT + "/" + syncedTableId;
    }

    @Override
    public String name() {
        return nameOf(syncedTableId);
    }

    @Override
    public String parentName() {
        return PARENT;
    }

    public String pgSchema() {
        return syncedTableId.split("\\.")[1];
    }

    public String pgTable() {
        return syncedTableId.split("\\.")[2];
    }

    public SyncedTable withState(SyncedTableState newState, String newMessage) {
        return new SyncedTable(syncedTableId, uid, createTime, projectId, branch, postgresDatabase, sourceTableFullName, sourceLocation,
                primaryKeyColumns, timeseriesKey, schedulingPolicy, newState, newMessage, lastProcessedCommitVersion, lastCommitTime,
                lastSyncStart, lastSyncEnd);
    }

    public SyncedTable withSync(long version, Instant commitTime, Instant start, Instant end) {
        return new SyncedTable(syncedTableId, uid, createTime, projectId, branch, postgresDatabase, sourceTableFullName, sourceLocation,
                primaryKeyColumns, timeseriesKey, schedulingPolicy, state, message, version, commitTime, start, end);
    }
}
