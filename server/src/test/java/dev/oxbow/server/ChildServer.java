package dev.oxbow.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * An Oxbow server in a child JVM, so a test can kill -9 it mid-operation and then restart on the same
 * data directory (as a {@link TestServer}). Talks to it over raw HTTP with the admin token.
 */
final class ChildServer {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Process process;
    private final String base;
    private final String token;
    private final HttpClient http = HttpClient.newHttpClient();

    private ChildServer(Process process, String base, String token) {
        this.process = process;
        this.base = base;
        this.token = token;
    }

    static ChildServer start(Path home) throws Exception {
        return start(home, java.util.Map.of());
    }

    /** With extra environment variables (an object store's settings). */
    static ChildServer start(Path home, java.util.Map<String, String> env) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                ServerMain.class.getName(), home.toString(), "0", TestServer.SHARED_PG.toString());
        pb.environment().putAll(env);
        pb.redirectErrorStream(true);
        Process p = pb.start();
        int port = awaitReady(p);
        return new ChildServer(p, "http://127.0.0.1:" + port, Files.readString(home.resolve("admin-token")).strip());
    }

    String token() { return token; }

    String baseUrl() { return base; }

    /** kill -9, and wait until the process is gone. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new AssertionError("child server did not die");
        }
    }

    JsonNode call(String method, String path, String body) throws Exception {
        return call(base, method, path, body);
    }

    /** The same call against another server on the same home (after the restart). */
    JsonNode call(String baseUrl, String method, String path, String body) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create(baseUrl + path)).header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body)).build();
        HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(r.body());
    }

    /** Starts an operation-returning call and waits for the operation to end; returns the final operation. */
    JsonNode run(String method, String path, String body) throws Exception {
        return awaitDone(base, call(method, path, body).path("name").asText());
    }

    JsonNode awaitDone(String baseUrl, String op) throws Exception {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(120));
        while (Instant.now().isBefore(deadline)) {
            JsonNode n = call(baseUrl, "GET", "/api/2.0/postgres/" + op, null);
            if (n.path("done").asBoolean()) {
                return n;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("operation not done in 120 s: " + op);
    }

    private static int awaitReady(Process child) throws Exception {
        BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream()));
        CompletableFuture<Integer> port = CompletableFuture.supplyAsync(() -> {
            try {
                String line;
                while ((line = out.readLine()) != null) {
                    if (line.startsWith("OXBOW_READY ")) {
                        int p = Integer.parseInt(line.substring(12).strip());
                        Thread.ofVirtual().start(() -> drain(out));
                        return p;
                    }
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            throw new IllegalStateException("server exited before it was ready");
        });
        return port.get(120, TimeUnit.SECONDS);
    }

    private static void drain(BufferedReader out) {
        try {
            while (out.readLine() != null) {
                // keep the pipe from filling up
            }
        } catch (Exception ignored) {
            // child died
        }
    }
}
