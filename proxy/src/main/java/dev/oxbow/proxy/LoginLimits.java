package dev.oxbow.proxy;

import java.time.Duration;

/**
 * Bounds on what a client may hold before it has logged in: how long it has ({@code timeout}, like Postgres'
 * {@code authentication_timeout}), how many such connections may wait in all and from one address (at a cap the
 * oldest waiting one is closed with 53300 to make room), and how many cancel requests one network (IPv4 /24,
 * IPv6 /64) may send: a burst, refilled at a steady rate.
 */
public record LoginLimits(Duration timeout, int maxPending, int maxPendingPerAddress, int cancelBurst, int cancelsPerSecond) {
    public LoginLimits {
        if (timeout.isNegative() || timeout.isZero() || maxPending < 1 || maxPendingPerAddress < 1 || cancelBurst < 1 || cancelsPerSecond < 1) {
            throw new IllegalArgumentException("login limits must be positive: " + timeout + " " + maxPending + " " + maxPendingPerAddress
                    + " " + cancelBurst + " " + cancelsPerSecond);
        }
    }

    public static LoginLimits defaults() {
        return new LoginLimits(Duration.ofSeconds(10), 1000, 100, 50, 10);
    }

    public LoginLimits withTimeout(Duration newTimeout) {
        return new LoginLimits(newTimeout, maxPending, maxPendingPerAddress, cancelBurst, cancelsPerSecond);
    }
}
