package dev.oxbow.proxy;

import java.time.Duration;

/**
 * Where the proxy listens and how long connections may live: Lakebase closes connections idle for
 * 24 hours and any connection after 3 days; {@code login} bounds connections that have not logged in yet.
 */
public record ProxyConfig(String host, int port, String domain, Duration idleTimeout, Duration maxLifetime, LoginLimits login) {
    public ProxyConfig(String host, int port, String domain, Duration idleTimeout, Duration maxLifetime) {
        this(host, port, domain, idleTimeout, maxLifetime, LoginLimits.defaults());
    }

    public static ProxyConfig defaults(String domain) {
        return new ProxyConfig("0.0.0.0", 5432, domain, Duration.ofHours(24), Duration.ofDays(3));
    }
}
