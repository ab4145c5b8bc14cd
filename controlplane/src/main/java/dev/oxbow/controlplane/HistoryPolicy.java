package dev.oxbow.controlplane;

import java.time.Duration;

/**
 * How branch history is kept: a snapshot is taken once {@code snapshotWalBytes} of WAL or
 * {@code snapshotInterval} have passed since the last one (bounding the WAL a restore replays), checked
 * every {@code checkInterval}; servers switch WAL segments at least every {@code archiveTimeout} when busy.
 */
public record HistoryPolicy(long snapshotWalBytes, Duration snapshotInterval, Duration checkInterval, Duration archiveTimeout) {
    public static HistoryPolicy defaults() {
        return new HistoryPolicy(64L << 20, Duration.ofMinutes(10), Duration.ofSeconds(30), Duration.ofSeconds(60));
    }
}
