package dev.oxbow.metadata;

/** When a synced table syncs; the constant names are the wire values and the stored JSON. */
public enum SchedulingPolicy {
    /** One full copy, re-copied on each sync request. */
    SNAPSHOT,
    /** Incremental syncs on request. */
    TRIGGERED,
    /** Incremental syncs whenever the source commits. */
    CONTINUOUS;

    public boolean incremental() {
        return this != SNAPSHOT;
    }
}
