package dev.oxbow.server;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * Minimal entry point (no CLI parsing) used by tests and benchmarks to run a server in its own JVM:
 * {@code ServerMain <home> <apiPort> [pgBinariesDir]}; an object store comes from {@code OXBOW_OBJECT_STORE} and the
 * {@code AWS_*} variables, Delta catalogs from {@code OXBOW_CATALOGS} ({@code NAME=DIR,...}). Prints {@code OXBOW_READY <port>} when serving.
 */
public final class ServerMain {
    private ServerMain() {}

    public static void main(String[] args) throws Exception {
        Path home = Path.of(args[0]).toAbsolutePath();
        ServerConfig config = ServerConfig.defaults(home).withApiPort(Integer.parseInt(args[1])).withPg("127.0.0.1", 0);
        if (args.length > 2) {
            config = config.withPgBinaries(Path.of(args[2]));
        }
        String snapshotWal = System.getenv("OXBOW_SNAPSHOT_WAL_BYTES"); // tests: a history snapshot after this much WAL
        if (snapshotWal != null) {
            var h = config.history();
            config = config.withHistory(new dev.oxbow.controlplane.history.HistoryPolicy(Long.parseLong(snapshotWal), h.snapshotInterval(),
                    java.time.Duration.ofMillis(Long.parseLong(System.getenv().getOrDefault("OXBOW_HISTORY_CHECK_MS", "30000"))), h.archiveTimeout()));
        }
        String catalogs = System.getenv("OXBOW_CATALOGS");
        if (catalogs != null && !catalogs.isBlank()) {
            java.util.Map<String, Path> roots = new java.util.LinkedHashMap<>();
            for (String entry : catalogs.split(",")) roots.put(entry.substring(0, entry.indexOf('=')), Path.of(entry.substring(entry.indexOf('=') + 1)));
            config = config.withCatalogs(roots);
        }
        String store = System.getenv("OXBOW_OBJECT_STORE");
        if (store != null && !store.isBlank()) {
            var bucket = dev.oxbow.controlplane.history.BucketPolicy.at(store, System.getenv());
            config = config.withBucket(bucket.withIntervals(
                    java.time.Duration.ofMillis(Long.parseLong(System.getenv().getOrDefault("OXBOW_WAL_SHIP_INTERVAL_MS", "1000"))),
                    java.time.Duration.ofMillis(Long.parseLong(System.getenv().getOrDefault("OXBOW_BUCKET_UPLOAD_INTERVAL_MS", "10000"))))
                    .withRestore("true".equals(System.getenv("OXBOW_RESTORE"))));
        }
        OxbowServer server = OxbowServer.start(config);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }));
        System.out.println("OXBOW_READY " + server.apiPort());
        System.out.flush();
        stopped.await();
    }
}
