package dev.oxbow.cli;

import dev.oxbow.server.OxbowServer;
import dev.oxbow.server.ServerConfig;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

/**
 * The one real Oxbow server the CLI tests of a test JVM share (see {@link SharedServerExtension}): free ports, a fresh
 * home under the temp dir (Postgres runs unprivileged and must reach it), and a catalog "lake" at {@link #lake()} for
 * synced-table sources. Tests keep apart by their own project, user and table names. Closing stops the server and
 * removes the home, once, however often it is called.
 */
final class SharedServer implements ExtensionContext.Store.CloseableResource, AutoCloseable {
    private final Path home;
    private final OxbowServer server;
    private final AtomicBoolean closed = new AtomicBoolean();

    private SharedServer(Path home, OxbowServer server) {
        this.home = home;
        this.server = server;
    }

    static SharedServer start() {
        Path home;
        try {
            home = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "oxbow-cli-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            Path pg = Path.of(System.getProperty("java.io.tmpdir"), "oxbow-test-pg");
            ServerConfig config = ServerConfig.defaults(home).withApiPort(0).withPg("127.0.0.1", 0).withPgBinaries(pg)
                    .withCatalogs(Map.of("lake", home.resolve("lake")));
            return new SharedServer(home, OxbowServer.start(config));
        } catch (Exception e) {
            deleteTree(home);
            throw new IllegalStateException("cannot start the shared Oxbow server in " + home, e);
        }
    }

    OxbowServer server() {
        return server;
    }

    Path home() {
        return home;
    }

    /** The directory of the catalog "lake": lake.schema.table is the Delta table lake()/schema/table. */
    Path lake() {
        return home.resolve("lake");
    }

    String adminToken() {
        try {
            return server.adminToken();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Environment variables naming this server with the admin token, as a user would export them. */
    Map<String, String> env() {
        return Map.of("OXBOW_HOST", server.baseUrl(), "OXBOW_TOKEN", adminToken(), "OXBOW_HOME", home.toString());
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            server.close();
        } finally {
            try {
                // its projects' OS users (as root each has one) go with the home
                dev.oxbow.server.HomeId.removeUsersOf(home);
            } catch (Exception e) {
                throw new IllegalStateException("cannot remove the OS users of " + home, e);
            } finally {
                deleteTree(home);
            }
        }
    }

    /** Removes {@code dir} and everything under it; here, not in a shutdown hook that races the JVM's exit. */
    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove " + dir, e);
        }
    }
}
