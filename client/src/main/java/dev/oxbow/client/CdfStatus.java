package dev.oxbow.client;

import java.time.Instant;

/**
 * One table of a change feed: {@code state} is CDF_STATE_SNAPSHOTTING, _STREAMING, _SKIPPED or _TERMINATED;
 * {@code retainedWalBytes} (Oxbow's) is the WAL the feed's slot held at its last pass.
 */
public record CdfStatus(String name, String postgresTable, String ucTable, String state, String statusDetail, String committedLsn,
                        Instant createTime, Instant lastSyncTime, Long retainedWalBytes) {}
