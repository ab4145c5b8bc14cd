package dev.oxbow.cli;

import dev.oxbow.controlplane.cdf.CdfSettings;
import picocli.CommandLine.Option;

import java.time.Duration;

/** {@code oxbow server}'s change-feed flags (Postgres → Delta): the WAL-retention limit and how batches are cut. */
final class CdfServerOptions {
    @Option(names = "--cdf-max-retained-wal-mb", paramLabel = "MIB", description = "A change feed's slot may keep at most this much WAL on its "
            + "compute (default 1024 MiB); past it see --cdf-drop-slot-on-limit.")
    Long maxRetainedWalMib;

    @Option(names = "--cdf-drop-slot-on-limit", arity = "1", paramLabel = "true|false", description = "Past the limit, drop the slot and stop the "
            + "feed so the compute's disk cannot fill (default true); false only logs a warning and keeps the WAL.")
    Boolean dropOnLimit;

    @Option(names = "--cdf-batch-rows", paramLabel = "N", description = "A feed commits to Delta at about this many changes (default 10000; "
            + "a transaction is never split).")
    Integer batchRows;

    @Option(names = "--cdf-batch-interval", paramLabel = "MS", description = "Under a steady stream of changes, a feed commits to Delta at least "
            + "this often, in ms (default 1000; it commits at once whenever the stream pauses).")
    Long batchIntervalMs;

    /** {@code base} with the flags given applied. */
    CdfSettings settings(CdfSettings base) {
        if (maxRetainedWalMib != null && maxRetainedWalMib <= 0) throw new IllegalArgumentException("--cdf-max-retained-wal-mb must be positive");
        if (batchRows != null && batchRows <= 0) throw new IllegalArgumentException("--cdf-batch-rows must be positive");
        if (batchIntervalMs != null && batchIntervalMs < 0) throw new IllegalArgumentException("--cdf-batch-interval must not be negative");
        return new CdfSettings(base.pollInterval(), base.idleEnd(), base.passBudget(), base.checkpointInterval(),
                batchRows != null ? batchRows : base.batchRows(),
                maxRetainedWalMib != null ? maxRetainedWalMib << 20 : base.maxRetainedWalBytes(),
                dropOnLimit != null ? dropOnLimit : base.dropOnLimit(),
                batchIntervalMs != null ? Duration.ofMillis(batchIntervalMs) : base.batchInterval(), base.streamFor());
    }
}
