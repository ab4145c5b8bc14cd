package dev.oxbow.sync;

/** Where a running sync is: rows written so far, an estimate of the total, the version being applied. */
public record SyncProgress(long syncedRows, long totalRows, double completion, long version) {
    public interface Listener {
        void progress(SyncProgress progress);

        Listener NONE = p -> {};
    }
}
