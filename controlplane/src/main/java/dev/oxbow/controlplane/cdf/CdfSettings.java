package dev.oxbow.controlplane.cdf;

import java.time.Duration;

/**
 * How change feeds run: a pass every {@code pollInterval} while the compute is ACTIVE, ending when caught up (or
 * idle for {@code idleEnd}, or after {@code passBudget}) unless the compute is in use, in which case its stream stays
 * open up to {@code streamFor}; a Delta checkpoint every {@code checkpointInterval} commits; a batch is committed
 * when the stream pauses, at about {@code batchRows} changes or {@code batchInterval} after its first change; a slot
 * holding more than {@code maxRetainedWalBytes} of WAL is dropped when {@code dropOnLimit} (its feed stops with a
 * status saying so), else only logged (the disk may then fill).
 */
public record CdfSettings(Duration pollInterval, Duration idleEnd, Duration passBudget, int checkpointInterval, int batchRows,
                          long maxRetainedWalBytes, boolean dropOnLimit, Duration batchInterval, Duration streamFor) {
    public static CdfSettings defaults() {
        return new CdfSettings(Duration.ofSeconds(1), Duration.ofMillis(500), Duration.ofSeconds(10), 10, 10_000, 1L << 30, true,
                Duration.ofSeconds(1), Duration.ofSeconds(30));
    }
}
