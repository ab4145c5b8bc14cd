package dev.oxbow.sync.cdf;

import java.time.Instant;

/** Where one table of a feed stands: the wire's CdfStatus fields ({@code state} is a CdfState name). */
public record FeedTableStatus(String pgTable, String state, long committedLsn, Instant lastSyncTime, String detail) {
    public static final String SNAPSHOTTING = "CDF_STATE_SNAPSHOTTING";
    public static final String STREAMING = "CDF_STATE_STREAMING";
    public static final String SKIPPED = "CDF_STATE_SKIPPED";
    public static final String TERMINATED = "CDF_STATE_TERMINATED";

    public FeedTableStatus withState(String newState, String newDetail) {
        return new FeedTableStatus(pgTable, newState, committedLsn, lastSyncTime, newDetail);
    }
}
