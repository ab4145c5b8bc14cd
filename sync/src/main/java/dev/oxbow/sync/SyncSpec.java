package dev.oxbow.sync;

import java.util.List;

/**
 * What to sync: the Delta table at {@code source} into {@code pgSchema.pgTable}, keyed by {@code primaryKey};
 * {@code timeseriesKey} (may be null) picks the newest of rows sharing a key. {@code incremental} is false for
 * SNAPSHOT (every run copies the whole table again).
 */
public record SyncSpec(String syncedTable, String source, String pgSchema, String pgTable, List<String> primaryKey,
                       String timeseriesKey, boolean incremental) {
    public SyncSpec {
        primaryKey = List.copyOf(primaryKey);
    }
}
