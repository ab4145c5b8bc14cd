package dev.oxbow.controlplane.compute;

import java.time.Duration;

/**
 * What a CU means on this host and how the autoscaler moves between sizes. Lakebase gives about 2 GB of
 * RAM per CU; a laptop can lower it to run several computes. The autoscaler samples every
 * {@code sampleEvery}, scales up at once when CPU use passes {@code scaleUpAt} of the current quota (or
 * memory nears its limit), and down one step after {@code scaleDownAfter} below {@code scaleDownBelow}.
 */
public record ComputeSizing(long ramBytesPerCu, double cpusPerCu, Duration sampleEvery, double scaleUpAt, double scaleDownBelow,
                            Duration scaleDownAfter) {
    public static ComputeSizing defaults() {
        return new ComputeSizing(2L << 30, 0.25, Duration.ofSeconds(1), 0.7, 0.25, Duration.ofSeconds(60));
    }

    public long memoryBytes(double cu) {
        return Math.round(cu * ramBytesPerCu);
    }

    public double cpus(double cu) {
        return cu * cpusPerCu;
    }
}
