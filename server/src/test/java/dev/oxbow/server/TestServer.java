package dev.oxbow.server;

import com.databricks.sdk.WorkspaceClient;
import com.databricks.sdk.core.DatabricksConfig;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A real Oxbow server for tests: data under /tmp (the unprivileged postgres user must reach it when
 * tests run as root), Postgres binaries unpacked once per machine, API on a free port.
 */
public final class TestServer implements AutoCloseable {
    public static final Path SHARED_PG = Path.of(System.getProperty("java.io.tmpdir"), "oxbow-test-pg");
    private static TestServer shared;
    private static final java.util.List<Path> HOMES_TO_REMOVE = new java.util.concurrent.CopyOnWriteArrayList<>();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(TestServer::cleanUp, "test-cleanup"));
    }

    private final OxbowServer server;
    private final Path home;

    private TestServer(Path home, ServerConfig config) throws Exception {
        this.home = home;
        this.server = OxbowServer.start(config);
    }

    public static ServerConfig config(Path home) {
        return ServerConfig.defaults(home).withApiPort(0).withPg("127.0.0.1", 0).withPgBinaries(SHARED_PG);
    }

    public static TestServer start(Path home) throws Exception {
        return new TestServer(home, config(home));
    }

    public static TestServer start(ServerConfig config) throws Exception {
        return new TestServer(config.home(), config);
    }

    /** A fresh data directory, removed when the test JVM exits (tests restart servers on the same home). */
    public static Path newHome(String name) throws IOException {
        Path home = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "oxbow-" + name + "-");
        removeAtExit(home);
        return home;
    }

    /** Registers {@code dir} for removal at JVM exit, after the shared server has stopped. */
    public static void removeAtExit(Path dir) {
        HOMES_TO_REMOVE.add(dir);
    }

    /** One exit hook, so the shared server stops before the data directories go (hooks run concurrently). */
    private static void cleanUp() {
        TestServer s;
        synchronized (TestServer.class) {
            s = shared;
        }
        if (s != null) {
            s.close();
        }
        for (Path dir : HOMES_TO_REMOVE) {
            try (var walk = Files.walk(dir)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException | RuntimeException ignored) {
                // best effort: a leftover under /tmp is harmless
            }
        }
    }

    /** One server shared by the test classes that only need "a server": started once, stopped at JVM exit. */
    public static synchronized TestServer shared() throws Exception {
        if (shared == null) {
            shared = start(newHome("shared"));
        }
        return shared;
    }

    public OxbowServer server() { return server; }
    public Path home() { return home; }
    public String baseUrl() { return server.baseUrl(); }

    public String token() {
        try {
            return server.adminToken();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public WorkspaceClient sdk() {
        return new WorkspaceClient(new DatabricksConfig().setHost(baseUrl()).setToken(token()).setAuthType("pat"));
    }

    /** A raw HTTP call, for what the SDK hides (status codes, exact JSON). */
    public HttpResponse<String> http(String method, String path, String body, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(baseUrl() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    public HttpResponse<String> http(String method, String path, String body) throws Exception {
        return http(method, path, body, token());
    }


    /** Polls an operation until it is done (at most {@code max}) and returns its final JSON. */
    public com.fasterxml.jackson.databind.JsonNode awaitOperation(String name, java.time.Duration max) throws Exception {
        var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        long deadline = System.nanoTime() + max.toNanos();
        while (true) {
            var op = mapper.readTree(http("GET", "/api/2.0/postgres/" + name, null).body());
            if (op.path("done").asBoolean(false)) {
                return op;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("operation not done in " + max.toSeconds() + " s: " + op);
            }
            Thread.sleep(100);
        }
    }

    @Override
    public void close() {
        server.close();
    }
}
