package dev.oxbow.controlplane.cdf;

import java.time.Duration;

/**
 * How change feeds run: a pass every {@code pollInterval} while the compute is ACTIVE, ending when caught up (or
 * idle for {@code idleEnd}, or after {@code passBudget}); a Delta checkpoint every {@code checkpointInterval}
 * commits; batches of about {@code batchRows} changes; a slot holding more than {@code maxRetainedWalBytes} of WAL is
 * dropped (its feed stops with a status saying so).
 */
public record CdfSettings(Duration pollInterval, Duration idleEnd, Duration passBudget, int checkpointInterval, int batchRows,
                          long maxRetainedWalBytes) {
    public static CdfSettings defaults() {
        return new CdfSettings(Duration.ofSeconds(1), Duration.ofMillis(500), Duration.ofSeconds(10), 10, 10_000, 1L << 30);
    }
}
