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
 * A real Oxbow server for tests: data in a {@link TestHomes} directory, Postgres binaries unpacked once per
 * machine, API on a free port. Classes that only need "a server" share one through {@link SharedServer}.
 */
public final class TestServer implements AutoCloseable {
    public static final Path SHARED_PG = Path.of(System.getProperty("java.io.tmpdir"), "oxbow-test-pg");

    private final OxbowServer server;
    private final Path home;
    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

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
        return sdk(token());
    }

    /** The SDK as the holder of {@code token} (a user's, to see what they may do). */
    public WorkspaceClient sdk(String token) {
        return new WorkspaceClient(new DatabricksConfig().setHost(baseUrl()).setToken(token).setAuthType("pat"));
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

    /** An ordinary (non-admin) user made by the admin, and a token of theirs: the tenant tests' attacker or victim. */
    public String userWithToken(String email) throws Exception {
        createUser(email);
        return tokenFor(email);
    }

    /** An ordinary (non-admin) user made by the admin; returns its SCIM id. */
    public String createUser(String email) throws Exception {
        HttpResponse<String> user = http("POST", "/api/2.0/preview/scim/v2/Users", "{\"userName\":\"" + email + "\"}");
        if (user.statusCode() != 201) {
            throw new AssertionError("creating user " + email + ": " + user.statusCode() + " " + user.body());
        }
        return new com.fasterxml.jackson.databind.ObjectMapper().readTree(user.body()).path("id").asText();
    }

    /** A new token of user {@code email}, issued by the admin on their behalf. */
    public String tokenFor(String email) throws Exception {
        HttpResponse<String> token = http("POST", "/api/2.0/token-management/on-behalf-of/tokens", "{\"user_name\":\"" + email + "\"}");
        if (token.statusCode() != 200) {
            throw new AssertionError("token for " + email + ": " + token.statusCode() + " " + token.body());
        }
        return new com.fasterxml.jackson.databind.ObjectMapper().readTree(token.body()).path("token_value").asText();
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

    /** Idempotent: a class may close in {@code @AfterAll} what a try-with-resources already closed. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            server.close();
        }
    }
}
