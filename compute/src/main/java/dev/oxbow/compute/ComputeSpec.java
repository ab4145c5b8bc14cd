package dev.oxbow.compute;

import java.nio.file.Path;
import java.util.Map;

/**
 * What to run: one endpoint's server on a data directory, listening only on a unix socket in
 * {@code socketDir} (no TCP). {@code settings} are extra postgresql.conf settings.
 */
public record ComputeSpec(String endpointUid, int pgVersion, Path dataDir, Path socketDir, Map<String, String> settings) {
    public ComputeSpec {
        settings = Map.copyOf(settings);
    }
}
