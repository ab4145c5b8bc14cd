package dev.oxbow.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/** The benchmarks' way to the API (plain HTTP, as any client) and to the command-line tools they drive. */
final class BenchApi {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();
    private final String base;
    private final String token;

    BenchApi(String base, String token) {
        this.base = base;
        this.token = token;
    }

    HttpResponse<String> send(String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).header("Authorization", "Bearer " + token)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    JsonNode json(String method, String path, String body) throws Exception {
        return JSON.readTree(send(method, path, body).body());
    }

    /** Sends a mutating call and polls its operation until done; fails on an operation error. */
    JsonNode await(String method, String path, String body) throws Exception {
        JsonNode op = json(method, path, body);
        String name = op.path("name").asText();
        if (name.isEmpty()) {
            throw new IllegalStateException(method + " " + path + " -> " + op);
        }
        while (true) {
            JsonNode n = json("GET", "/api/2.0/postgres/" + name, null);
            if (n.path("done").asBoolean()) {
                if (n.has("error")) {
                    throw new IllegalStateException(method + " " + path + " failed: " + n.path("error"));
                }
                return n;
            }
            Thread.sleep(10);
        }
    }

    /** Runs a command to completion and returns its output; a non-zero exit is an error. */
    static String run(java.util.Map<String, String> env, String... command) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed:\n" + out);
        }
        return out;
    }

    /** The tps figure pgbench printed. */
    static double tps(String pgbenchOutput) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("tps = ([0-9.]+)").matcher(pgbenchOutput);
        if (!m.find()) {
            throw new IllegalStateException("no tps in pgbench output:\n" + pgbenchOutput);
        }
        return Double.parseDouble(m.group(1));
    }

    /** A new connection through the proxy (TLS, the token as password, the endpoint in options) and SELECT 1. */
    static void selectOneThroughProxy(int port, String user, String uid, String token) throws Exception {
        java.util.Properties p = new java.util.Properties();
        p.setProperty("user", user);
        p.setProperty("password", token);
        p.setProperty("sslmode", "require");
        p.setProperty("options", "endpoint=" + uid);
        try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/databricks_postgres", p);
             java.sql.ResultSet rs = c.createStatement().executeQuery("SELECT 1")) {
            rs.next();
        }
    }
}
