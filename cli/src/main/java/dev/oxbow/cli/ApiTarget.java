package dev.oxbow.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Which Oxbow server the client commands talk to: OXBOW_HOST/OXBOW_TOKEN, else DATABRICKS_HOST/DATABRICKS_TOKEN,
 * else the local server's credentials file ($OXBOW_HOME/admin-token on 127.0.0.1:$OXBOW_API_PORT).
 */
record ApiTarget(String host, String token, Path home) {
    private static final ObjectMapper JSON = new ObjectMapper();

    static ApiTarget fromEnvironment() throws IOException {
        Path home = Path.of(env("OXBOW_HOME", System.getProperty("user.home") + "/.oxbow"));
        String host = env("OXBOW_HOST", env("DATABRICKS_HOST", null));
        String token = env("OXBOW_TOKEN", env("DATABRICKS_TOKEN", null));
        if (host == null) {
            host = "http://127.0.0.1:" + env("OXBOW_API_PORT", "8080");
        }
        if (token == null) {
            Path file = home.resolve("admin-token");
            if (!Files.isReadable(file)) {
                throw new IOException("no API token: set OXBOW_TOKEN (or DATABRICKS_TOKEN), or run on the server's machine where "
                        + file + " exists");
            }
            token = Files.readString(file).strip();
        }
        return new ApiTarget(host.replaceAll("/+$", ""), token, home);
    }

    JsonNode call(String method, String path, String body) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create(host + path))
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .build();
        HttpResponse<String> response = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
        JsonNode json = response.body().isBlank() ? JSON.createObjectNode() : JSON.readTree(response.body());
        if (response.statusCode() >= 400) {
            throw new IOException(json.path("error_code").asText("HTTP " + response.statusCode()) + ": " + json.path("message").asText(response.body()));
        }
        return json;
    }

    String hostName() {
        return URI.create(host).getHost();
    }

    private static String env(String name, String fallback) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? fallback : v;
    }
}
