package dev.oxbow.server;

import dev.oxbow.controlplane.ComputeSizing;
import dev.oxbow.controlplane.ControlPlaneConfig;
import dev.oxbow.controlplane.HistoryPolicy;
import dev.oxbow.controlplane.Limits;
import dev.oxbow.controlplane.SyncConfig;
import dev.oxbow.proxy.ProxyConfig;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Everything {@code oxbow server} can be told. {@code pgBinaries} is where PostgreSQL is unpacked
 * (default {@code $OXBOW_HOME/pg}); {@code pgUser} runs postgres when Oxbow runs as root; the proxy
 * serves {@code <endpoint uid>.<hostDomain>}.
 */
public record ServerConfig(Path home, String apiHost, int apiPort, String pgHost, int pgPort, Path pgBinaries, String pgUser,
                           String adminUserName, String hostDomain, Limits limits, Duration softDeleteRetention,
                           Duration suspendCheckInterval, Duration idleConnectionTimeout, Duration maxConnectionLifetime,
                           Path tlsCertificate, Path tlsKey, ComputeSizing sizing, HistoryPolicy history, SyncConfig sync) {

    public static ServerConfig defaults(Path home) {
        return new ServerConfig(home, "127.0.0.1", 8080, "127.0.0.1", 5432, home.resolve("pg"), "postgres", "admin@oxbow.local",
                "localhost", Limits.defaults(), Duration.ofDays(7), Duration.ofSeconds(5), Duration.ofHours(24), Duration.ofDays(3),
                null, null, ComputeSizing.defaults(), HistoryPolicy.defaults(), SyncConfig.defaults());
    }

    public ServerConfig withApiPort(int port) {
        return new ServerConfig(home, apiHost, port, pgHost, pgPort, pgBinaries, pgUser, adminUserName, hostDomain, limits,
                softDeleteRetention, suspendCheckInterval, idleConnectionTimeout, maxConnectionLifetime, tlsCertificate, tlsKey, sizing, history, sync);
    }

    public ServerConfig withApiHost(String host) {
        return new ServerConfig(home, host, apiPort, pgHost, pgPort, pgBinaries, pgUser, adminUserName, hostDomain, limits,
                softDeleteRetention, suspendCheckInterval, idleConnectionTimeout, maxConnectionLifetime, tlsCertificate, tlsKey, sizing, history, sync);
    }

    public ServerConfig withPg(String host, int port) {
        return new ServerConfig(home, apiHost, apiPort, host, port, pgBinaries, pgUser, adminUserName, hostDomain, limits,
                softDeleteRetention, suspendCheckInterval, idleConnectionTimeout, maxConnectionLifetime, tlsCertificate, tlsKey, sizing, history, sync);
    }

    public ServerConfig withPgBinaries(Path dir) {
        return new ServerConfig(home, apiHost, apiPort, pgHost, pgPort, dir, pgUser, adminUserName, hostDomain, limits,
                softDeleteRetention, suspendCheckInterval, idleConnectionTimeout, maxConnectionLifetime, tlsCertificate, tlsKey, sizing, history, sync);
    }

    public ServerConfig withPgUser(String user) {
        return new ServerConfig(home, apiHost, apiPort, pgHost, pgPort, pgBinaries, user, adminUserName, hostDomain, limits,
                softDeleteRetention, suspendCheckInterval, idleConnectionTimeout, maxConnectionLifetime, tlsCertificate, tlsKey, sizing, history, sync);
    }

    public ServerConfig withLimits(Limits newLimits) {
        return new ServerConfig(home, apiHost, apiPort, pgHost, pgPort, pgBinaries, pgUser, adminUserName, hostDomain, newLimits,
                softDeleteRetention, suspendCheckInterval, idleConnectionTimeout, maxConnectionLifetime, tlsCertificate, tlsKey, sizing, history, sync);
    }

    public ServerConfig withSoftDeleteRetention(Duration retention) {
        return new ServerConfig(home, apiHost, apiPort, pgHost, pgPort, pgBinaries, pgUser, adminUserName, hostDomain, limits,
                retention, suspendCheckInterval, idleConnectionTimeout, maxConnectionLifetime, tlsCertificate, tlsKey, sizing, history, sync);
    }

    /** Shorter timers for tests: how often idle computes are checked, and connection idle/lifetime limits. */
    public ServerConfig withTimers(Duration suspendCheck, Duration idleTimeout, Duration lifetime) {
        return new ServerConfig(home, apiHost, apiPort, pgHost, pgPort, pgBinaries, pgUser, adminUserName, hostDomain, limits,
                softDeleteRetention, suspendCheck, idleTimeout, lifetime, tlsCertificate, tlsKey, sizing, history, sync);
    }

    /** The operator's own certificate chain and PKCS#8 key (PEM) instead of Oxbow's local CA. */
    public ServerConfig withTls(Path certificate, Path key) {
        return new ServerConfig(home, apiHost, apiPort, pgHost, pgPort, pgBinaries, pgUser, adminUserName, hostDomain, limits,
                softDeleteRetention, suspendCheckInterval, idleConnectionTimeout, maxConnectionLifetime, certificate, key, sizing, history, sync);
    }

    /** How much RAM and CPU a CU gets here, and how eagerly the autoscaler moves. */
    public ServerConfig withSizing(ComputeSizing newSizing) {
        return new ServerConfig(home, apiHost, apiPort, pgHost, pgPort, pgBinaries, pgUser, adminUserName, hostDomain, limits,
                softDeleteRetention, suspendCheckInterval, idleConnectionTimeout, maxConnectionLifetime, tlsCertificate, tlsKey, newSizing, history, sync);
    }

    /** How often branches are snapshotted and WAL switched (point-in-time restore replays what lies between). */
    public ServerConfig withHistory(HistoryPolicy newHistory) {
        return new ServerConfig(home, apiHost, apiPort, pgHost, pgPort, pgBinaries, pgUser, adminUserName, hostDomain, limits,
                softDeleteRetention, suspendCheckInterval, idleConnectionTimeout, maxConnectionLifetime, tlsCertificate, tlsKey, sizing, newHistory, sync);
    }

    /** Catalogs for synced-table sources: name to root directory ({@code <root>/<schema>/<table>} is a Delta table). */
    public ServerConfig withCatalogs(java.util.Map<String, Path> catalogs) {
        return withSync(sync.withCatalogs(catalogs));
    }

    public ServerConfig withSync(SyncConfig newSync) {
        return new ServerConfig(home, apiHost, apiPort, pgHost, pgPort, pgBinaries, pgUser, adminUserName, hostDomain, limits,
                softDeleteRetention, suspendCheckInterval, idleConnectionTimeout, maxConnectionLifetime, tlsCertificate, tlsKey, sizing, history, newSync);
    }

    ControlPlaneConfig controlPlane() {
        return new ControlPlaneConfig(home, limits, softDeleteRetention, adminUserName, hostDomain, suspendCheckInterval, sizing, history, sync);
    }

    ProxyConfig proxy() {
        return new ProxyConfig(pgHost, pgPort, hostDomain, idleConnectionTimeout, maxConnectionLifetime);
    }
}
