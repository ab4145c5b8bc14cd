package dev.oxbow.compute;

import java.time.Duration;

/**
 * How hard a crashed server is restarted: at once, unless it crashed more than {@code maxCrashes}
 * times within {@code window}; then it is left down and reported degraded.
 */
public record RestartPolicy(int maxCrashes, Duration window) {
    public static final RestartPolicy DEFAULT = new RestartPolicy(3, Duration.ofSeconds(60));

    public RestartPolicy {
        if (maxCrashes < 0 || window.isNegative()) {
            throw new IllegalArgumentException("maxCrashes and window must not be negative");
        }
    }
}
