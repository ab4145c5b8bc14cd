package dev.oxbow.server;

import dev.oxbow.controlplane.ControlPlaneConfig;
import dev.oxbow.controlplane.Limits;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Everything {@code oxbow server} can be told. {@code pgBinaries} is where PostgreSQL is unpacked
 * (default {@code $OXBOW_HOME/pg}); {@code pgUser} runs postgres when Oxbow runs as root.
 */
public record ServerConfig(Path home, String apiHost, int apiPort, int pgPort, Path pgBinaries, String pgUser,
                           String adminUserName, String hostDomain, Limits limits, Duration softDeleteRetention) {

    public static ServerConfig defaults(Path home) {
        return new ServerConfig(home, "127.0.0.1", 8080, 5432, home.resolve("pg"), "postgres", "admin@oxbow.local",
                "localhost", Limits.defaults(), Duration.ofDays(7));
    }

    public ServerConfig withApiPort(int port) {
        return new ServerConfig(home, apiHost, port, pgPort, pgBinaries, pgUser, adminUserName, hostDomain, limits, softDeleteRetention);
    }

    public ServerConfig withPgBinaries(Path dir) {
        return new ServerConfig(home, apiHost, apiPort, pgPort, dir, pgUser, adminUserName, hostDomain, limits, softDeleteRetention);
    }

    public ServerConfig withApiHost(String host) {
        return new ServerConfig(home, host, apiPort, pgPort, pgBinaries, pgUser, adminUserName, hostDomain, limits, softDeleteRetention);
    }

    public ServerConfig withPgPort(int port) {
        return new ServerConfig(home, apiHost, apiPort, port, pgBinaries, pgUser, adminUserName, hostDomain, limits, softDeleteRetention);
    }

    public ServerConfig withLimits(Limits newLimits) {
        return new ServerConfig(home, apiHost, apiPort, pgPort, pgBinaries, pgUser, adminUserName, hostDomain, newLimits, softDeleteRetention);
    }

    ControlPlaneConfig controlPlane() {
        return new ControlPlaneConfig(home, limits, softDeleteRetention, adminUserName, hostDomain);
    }
}
