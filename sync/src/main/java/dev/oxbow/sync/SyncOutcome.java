package dev.oxbow.sync;

/**
 * What one sync run did. {@code version} is the Delta version Postgres now reflects (committed with the
 * data); {@code rows} rows were written (snapshot copies or net changes), {@code nullKeyRows} skipped.
 */
public record SyncOutcome(Kind kind, long version, long commitTimeMillis, long rows, long nullKeyRows, String note) {
    public enum Kind { SNAPSHOT, INCREMENTAL, UP_TO_DATE }
}
