package dev.oxbow.metadata;

import java.util.Map;

/** Compute settings a project gives to new endpoints. A null timeout means "not set"; noSuspension wins. */
public record EndpointDefaults(double minCu, double maxCu, Long suspendTimeoutSeconds, boolean noSuspension,
                               Map<String, String> pgSettings) {
    public EndpointDefaults {
        pgSettings = pgSettings == null ? Map.of() : Map.copyOf(pgSettings);
    }
}
