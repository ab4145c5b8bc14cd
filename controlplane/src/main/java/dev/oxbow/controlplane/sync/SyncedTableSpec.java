package dev.oxbow.controlplane.sync;

import java.util.List;

/** The parts of a synced table's {@code spec} Oxbow acts on; {@code unsupported} names fields it does not implement. */
public record SyncedTableSpec(String sourceTableFullName, List<String> primaryKeyColumns, String timeseriesKey, String schedulingPolicy,
                              String branch, String postgresDatabase, Boolean createDatabaseObjectsIfMissing, List<String> unsupported) {
}
