package dev.oxbow.proxy;

import java.time.Duration;

/**
 * Where the proxy listens and how long connections may live: Lakebase closes connections idle for
 * 24 hours and any connection after 3 days; {@code login} bounds connections that have not logged in yet.
 * {@code host} is one address or a comma-separated list (e.g. {@code 127.0.0.1,::1}), all on the same port.
 */
public record ProxyConfig(String host, int port, String domain, Duration idleTimeout, Duration maxLifetime, LoginLimits login) {
    public ProxyConfig(String host, int port, String domain, Duration idleTimeout, Duration maxLifetime) {
        this(host, port, domain, idleTimeout, maxLifetime, LoginLimits.defaults());
    }

    /** The addresses to listen on, in order: the first decides the port when {@code port} is 0. */
    public java.util.List<String> listenAddresses() {
        return java.util.Arrays.stream(host.split(",")).map(String::strip).filter(h -> !h.isEmpty()).toList();
    }

    public static ProxyConfig defaults(String domain) {
        return new ProxyConfig("0.0.0.0", 5432, domain, Duration.ofHours(24), Duration.ofDays(3));
    }
}
