package dev.oxbow.controlplane.sync;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * Synced-table settings: {@code catalogs} maps a catalog name to the directory holding its Delta tables
 * ({@code <root>/<schema>/<table>}); CONTINUOUS tables look for new commits every {@code pollInterval}; change feeds
 * (Postgres → Delta, into the same catalogs) run by {@code cdf}.
 */
public record SyncConfig(Map<String, Path> catalogs, Duration pollInterval, dev.oxbow.controlplane.cdf.CdfSettings cdf) {
    public SyncConfig {
        catalogs = Map.copyOf(catalogs);
    }

    public static SyncConfig defaults() {
        return new SyncConfig(Map.of(), Duration.ofMillis(250), dev.oxbow.controlplane.cdf.CdfSettings.defaults());
    }

    public SyncConfig withCatalogs(Map<String, Path> newCatalogs) {
        return new SyncConfig(newCatalogs, pollInterval, cdf);
    }

    public SyncConfig withCdf(dev.oxbow.controlplane.cdf.CdfSettings newCdf) {
        return new SyncConfig(catalogs, pollInterval, newCdf);
    }
}
