package dev.oxbow.server;

import dev.oxbow.controlplane.compute.ComputeSizing;
import dev.oxbow.controlplane.ControlPlaneConfig;
import dev.oxbow.controlplane.history.BucketPolicy;
import dev.oxbow.controlplane.history.HistoryPolicy;
import dev.oxbow.controlplane.resource.Limits;
import dev.oxbow.controlplane.sync.SyncConfig;
import dev.oxbow.proxy.LoginLimits;
import dev.oxbow.proxy.ProxyConfig;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Everything {@code oxbow server} can be told. {@code pgBinaries} is where PostgreSQL is unpacked
 * (default {@code $OXBOW_HOME/pg}); as root, each project's postgres runs as an OS user of its own
 * ({@link dev.oxbow.compute.ProcessIdentities}); the proxy serves {@code <endpoint uid>.<hostDomain>} on
 * {@code pgHost}, one address or a comma-separated list.
 */
public record ServerConfig(Path home, String apiHost, int apiPort, String pgHost, int pgPort, Path pgBinaries,
                           String adminUserName, String hostDomain, Limits limits, Duration softDeleteRetention,
                           Duration suspendCheckInterval, Duration idleConnectionTimeout, Duration maxConnectionLifetime,
                           Path tlsCertificate, Path tlsKey, ComputeSizing sizing, HistoryPolicy history, SyncConfig sync,
                           LoginLimits loginLimits, BucketPolicy bucket) {

    /**
     * Two labels under {@code localhost}: glibc (with nss-myhostname), macOS and browsers resolve every {@code *.localhost}
     * name to loopback, and a wildcard {@code *.oxbow.localhost} is one every verifier accepts (Node and OpenSSL refuse a
     * wildcard directly under a single label such as {@code *.localhost}).
     */
    public static final String DEFAULT_DOMAIN = "oxbow.localhost";
    /** Both loopbacks: {@code *.localhost} resolves to {@code ::1} first. */
    public static final String DEFAULT_PG_HOSTS = "127.0.0.1,::1";

    public static ServerConfig defaults(Path home) {
        return new ServerConfig(home, "127.0.0.1", 8080, DEFAULT_PG_HOSTS, 5432, home.resolve("pg"), "admin@oxbow.local",
                DEFAULT_DOMAIN, Limits.defaults(), Duration.ofDays(7), Duration.ofSeconds(5), Duration.ofHours(24), Duration.ofDays(3),
                null, null, ComputeSizing.defaults(), HistoryPolicy.defaults(), SyncConfig.defaults(), LoginLimits.defaults(),
                BucketPolicy.none());
    }

    public ServerConfig withApiPort(int port) {
        return with(c -> c.apiPort = port);
    }

    public ServerConfig withApiHost(String host) {
        return with(c -> c.apiHost = host);
    }

    public ServerConfig withPg(String host, int port) {
        return with(c -> {
            c.pgHost = host;
            c.pgPort = port;
        });
    }

    /** Endpoint host names are {@code <uid>.<domain>}; the certificate Oxbow issues covers {@code *.<domain>}. */
    public ServerConfig withHostDomain(String domain) {
        return with(c -> c.hostDomain = domain.strip().toLowerCase(java.util.Locale.ROOT));
    }

    public ServerConfig withPgBinaries(Path dir) {
        return with(c -> c.pgBinaries = dir);
    }

    public ServerConfig withLimits(Limits newLimits) {
        return with(c -> c.limits = newLimits);
    }

    public ServerConfig withSoftDeleteRetention(Duration retention) {
        return with(c -> c.softDeleteRetention = retention);
    }

    /** Shorter timers for tests: how often idle computes are checked, and connection idle/lifetime limits. */
    public ServerConfig withTimers(Duration suspendCheck, Duration idleTimeout, Duration lifetime) {
        return with(c -> {
            c.suspendCheckInterval = suspendCheck;
            c.idleConnectionTimeout = idleTimeout;
            c.maxConnectionLifetime = lifetime;
        });
    }

    /** The operator's own certificate chain and PKCS#8 key (PEM) instead of Oxbow's local CA. */
    public ServerConfig withTls(Path certificate, Path key) {
        return with(c -> {
            c.tlsCertificate = certificate;
            c.tlsKey = key;
        });
    }

    /** How much RAM and CPU a CU gets here, and how eagerly the autoscaler moves. */
    public ServerConfig withSizing(ComputeSizing newSizing) {
        return with(c -> c.sizing = newSizing);
    }

    /** How often branches are snapshotted and WAL switched (point-in-time restore replays what lies between). */
    public ServerConfig withHistory(HistoryPolicy newHistory) {
        return with(c -> c.history = newHistory);
    }

    /** Catalogs for synced-table sources: name to root directory ({@code <root>/<schema>/<table>} is a Delta table). */
    public ServerConfig withCatalogs(java.util.Map<String, Path> catalogs) {
        return withSync(sync.withCatalogs(catalogs));
    }

    /** How change feeds run (batches, streaming, the WAL-retention limit). */
    public ServerConfig withCdf(dev.oxbow.controlplane.cdf.CdfSettings cdf) {
        return withSync(sync.withCdf(cdf));
    }

    public ServerConfig withSync(SyncConfig newSync) {
        return with(c -> c.sync = newSync);
    }

    /** How long the proxy waits for a login, and how many unauthenticated connections and cancels it takes. */
    public ServerConfig withLoginLimits(LoginLimits newLimits) {
        return with(c -> c.loginLimits = newLimits);
    }

    /** Keep branch history and metadata in an object store too ({@code s3://bucket/prefix}); see {@link BucketPolicy}. */
    public ServerConfig withBucket(BucketPolicy newBucket) {
        return with(c -> c.bucket = newBucket);
    }

    /** A copy with some settings changed: one constructor call for every wither. */
    private ServerConfig with(java.util.function.Consumer<Copy> change) {
        Copy c = new Copy(this);
        change.accept(c);
        return new ServerConfig(home, c.apiHost, c.apiPort, c.pgHost, c.pgPort, c.pgBinaries, adminUserName, c.hostDomain,
                c.limits, c.softDeleteRetention, c.suspendCheckInterval, c.idleConnectionTimeout, c.maxConnectionLifetime,
                c.tlsCertificate, c.tlsKey, c.sizing, c.history, c.sync, c.loginLimits, c.bucket);
    }

    /** The settings a wither may change, as mutable fields. */
    private static final class Copy {
        String apiHost;
        int apiPort;
        String pgHost;
        int pgPort;
        Path pgBinaries;
        String hostDomain;
        Limits limits;
        Duration softDeleteRetention;
        Duration suspendCheckInterval;
        Duration idleConnectionTimeout;
        Duration maxConnectionLifetime;
        Path tlsCertificate;
        Path tlsKey;
        ComputeSizing sizing;
        HistoryPolicy history;
        SyncConfig sync;
        LoginLimits loginLimits;
        BucketPolicy bucket;

        Copy(ServerConfig s) {
            bucket = s.bucket;
            apiHost = s.apiHost;
            apiPort = s.apiPort;
            pgHost = s.pgHost;
            pgPort = s.pgPort;
            pgBinaries = s.pgBinaries;
            hostDomain = s.hostDomain;
            limits = s.limits;
            softDeleteRetention = s.softDeleteRetention;
            suspendCheckInterval = s.suspendCheckInterval;
            idleConnectionTimeout = s.idleConnectionTimeout;
            maxConnectionLifetime = s.maxConnectionLifetime;
            tlsCertificate = s.tlsCertificate;
            tlsKey = s.tlsKey;
            sizing = s.sizing;
            history = s.history;
            sync = s.sync;
            loginLimits = s.loginLimits;
        }
    }

    ControlPlaneConfig controlPlane() {
        return new ControlPlaneConfig(home, limits, softDeleteRetention, adminUserName, hostDomain, suspendCheckInterval, sizing, history, sync, bucket);
    }

    public ProxyConfig proxy() {
        return new ProxyConfig(pgHost, pgPort, hostDomain, idleConnectionTimeout, maxConnectionLifetime, loginLimits);
    }
}
