package dev.oxbow.cli;

import dev.oxbow.server.OxbowServer;
import dev.oxbow.server.ServerConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code oxbow server}: runs Oxbow in the foreground until interrupted, then stops every compute cleanly. */
@Command(name = "server", mixinStandardHelpOptions = true,
        description = "Run the Oxbow server (API, computes) on one data directory.")
final class ServerCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--home", description = "Data directory (env OXBOW_HOME, default ~/.oxbow).")
    Path home;

    @Option(names = "--api-host", defaultValue = "127.0.0.1", description = "Address the HTTP API binds (default ${DEFAULT-VALUE}).")
    String apiHost;

    @Option(names = "--api-port", description = "HTTP API port (env OXBOW_API_PORT, default 8080).")
    Integer apiPort;

    @Option(names = "--pg-port", description = "Postgres proxy port (env OXBOW_PG_PORT, default 5432).")
    Integer pgPort;

    @Option(names = "--pg-host", defaultValue = ServerConfig.DEFAULT_PG_HOSTS,
            description = "Addresses the Postgres proxy binds, comma-separated (default ${DEFAULT-VALUE}; 0.0.0.0,:: for all).")
    String pgHost;

    @Option(names = "--domain", description = "Endpoint host names are <endpoint uid>.<domain> (env OXBOW_DOMAIN, default "
            + ServerConfig.DEFAULT_DOMAIN + "); a real domain needs DNS records *.<domain> and <domain> for this server.")
    String domain;

    @Option(names = "--tls-cert", description = "PEM certificate chain for the Postgres proxy (default: Oxbow's own CA in $OXBOW_HOME/tls).")
    Path tlsCert;

    @Option(names = "--tls-key", description = "PEM PKCS#8 private key for --tls-cert.")
    Path tlsKey;

    @Option(names = "--ram-per-cu", defaultValue = "2048", description = "MiB of memory per CU (default ${DEFAULT-VALUE}; lower it to run several computes on a laptop).")
    long ramPerCuMib;

    @Option(names = "--cpus-per-cu", defaultValue = "0.25", description = "CPU cores per CU (default ${DEFAULT-VALUE}).")
    double cpusPerCu;

    @Option(names = "--catalog", paramLabel = "NAME=DIR",
            description = "A catalog for synced-table sources: catalog.schema.table is the Delta table DIR/schema/table (repeatable).")
    java.util.Map<String, Path> catalogs = new java.util.LinkedHashMap<>();

    @Option(names = "--object-store", paramLabel = "s3://BUCKET/PREFIX",
            description = "Also keep WAL, snapshots and metadata in this object store (env OXBOW_OBJECT_STORE; s3://bucket/prefix "
                    + "with the AWS_* settings, or file:///dir). Default: the local disk only.")
    String objectStore;

    @Option(names = "--wal-ship-interval", paramLabel = "MS", description = "How often WAL is shipped to the object store, in ms: the "
            + "loss window if this machine is lost (env OXBOW_WAL_SHIP_INTERVAL_MS, default 1000).")
    Long walShipIntervalMs;

    @picocli.CommandLine.Mixin
    CdfServerOptions cdf = new CdfServerOptions();

    @Option(names = "--restore", description = "Rebuild an empty --home from --object-store first: metadata, secrets, and every "
            + "branch's data up to the loss window.")
    boolean restore;

    @Override
    public Integer call() throws Exception {
        CliEnvironment env = CliEnvironment.of(spec);
        PrintWriter out = spec.commandLine().getOut();
        Path dataDir = home != null ? home : env.home();
        ServerConfig config = ServerConfig.defaults(dataDir.toAbsolutePath())
                .withApiHost(apiHost)
                .withApiPort(apiPort != null ? apiPort : Integer.parseInt(env.get("OXBOW_API_PORT", "8080")))
                .withPg(pgHost, pgPort != null ? pgPort : Integer.parseInt(env.get("OXBOW_PG_PORT", "5432")))
                .withHostDomain(domain != null ? domain : env.get("OXBOW_DOMAIN", ServerConfig.DEFAULT_DOMAIN));
        var sizing = config.sizing();
        config = config.withSizing(new dev.oxbow.controlplane.compute.ComputeSizing(ramPerCuMib << 20, cpusPerCu, sizing.sampleEvery(),
                sizing.scaleUpAt(), sizing.scaleDownBelow(), sizing.scaleDownAfter()));
        if ((tlsCert == null) != (tlsKey == null)) {
            spec.commandLine().getErr().println("--tls-cert and --tls-key go together.");
            return 2;
        }
        if (tlsCert != null) {
            config = config.withTls(tlsCert.toAbsolutePath(), tlsKey.toAbsolutePath());
        }
        java.util.Map<String, Path> roots = new java.util.LinkedHashMap<>();
        catalogs.forEach((name, dir) -> roots.put(name, dir.toAbsolutePath()));
        config = config.withCatalogs(roots);
        try {
            config = config.withCdf(cdf.settings(config.sync().cdf()));
        } catch (IllegalArgumentException e) {
            spec.commandLine().getErr().println(e.getMessage());
            return 2;
        }
        String store = objectStore != null ? objectStore : env.get("OXBOW_OBJECT_STORE", "");
        if (!store.isBlank()) {
            long shipMs = walShipIntervalMs != null ? walShipIntervalMs : Long.parseLong(env.get("OXBOW_WAL_SHIP_INTERVAL_MS", "1000"));
            var bucket = dev.oxbow.controlplane.history.BucketPolicy.at(store, env.variables());
            config = config.withBucket(bucket.withIntervals(java.time.Duration.ofMillis(shipMs), bucket.uploadInterval()).withRestore(restore));
        } else if (restore) {
            spec.commandLine().getErr().println("--restore needs --object-store (or OXBOW_OBJECT_STORE): where to restore from.");
            return 2;
        }
        OxbowServer server = OxbowServer.start(config);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }, "oxbow-shutdown"));
        out.println("Oxbow is running: API " + server.baseUrl() + ", Postgres on port " + server.pgPort() + " of "
                + String.join(", ", config.proxy().listenAddresses()) + " as <endpoint uid>." + config.hostDomain()
                + " (TLS" + (server.caCertificate() == null ? "" : ", CA " + server.caCertificate()) + "), data in " + config.home());
        out.println("Admin token: " + config.home().resolve("admin-token") + " (export DATABRICKS_HOST=" + server.baseUrl()
                + " DATABRICKS_TOKEN=$(cat " + config.home().resolve("admin-token") + "))");
        stopped.await();
        return 0;
    }
}
