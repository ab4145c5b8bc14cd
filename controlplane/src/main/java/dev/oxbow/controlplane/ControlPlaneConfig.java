package dev.oxbow.controlplane;

import dev.oxbow.controlplane.compute.ComputeSizing;
import dev.oxbow.controlplane.history.BucketPolicy;
import dev.oxbow.controlplane.history.HistoryPolicy;
import dev.oxbow.controlplane.resource.Layout;
import dev.oxbow.controlplane.resource.Limits;
import dev.oxbow.controlplane.sync.SyncConfig;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Settings of the control plane. {@code hostDomain} forms endpoint host names ({@code <endpoint uid>.<domain>});
 * soft-deleted projects and branches keep their data for {@code softDeleteRetention}; {@code bucket} says whether
 * history is also kept in an object store.
 */
public record ControlPlaneConfig(Path home, Limits limits, Duration softDeleteRetention, String adminUserName, String hostDomain,
                                 Duration suspendCheckInterval, ComputeSizing sizing, HistoryPolicy history, SyncConfig sync, BucketPolicy bucket) {
    public static ControlPlaneConfig defaults(Path home) {
        return new ControlPlaneConfig(home, Limits.defaults(), Duration.ofDays(7), "admin@oxbow.local", "oxbow.localhost", Duration.ofSeconds(5),
                ComputeSizing.defaults(), HistoryPolicy.defaults(), SyncConfig.defaults(), BucketPolicy.none());
    }

    public ControlPlaneConfig withBucket(BucketPolicy b) {
        return new ControlPlaneConfig(home, limits, softDeleteRetention, adminUserName, hostDomain, suspendCheckInterval, sizing, history, sync, b);
    }

    public Layout layout() {
        return new Layout(home);
    }
}
