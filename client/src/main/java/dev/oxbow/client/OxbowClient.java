package dev.oxbow.client;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.StringJoiner;

/**
 * The Oxbow API client: one host and bearer token, JSON over java.net.http. {@link #postgres()} is the typed
 * Lakebase API; {@link #call} is the raw layer for anything else (SCIM, tokens, permissions) and for callers that
 * want the server's JSON untouched (the CLI prints it as is).
 */
public final class OxbowClient {
    private final String host;
    private final String token;
    private final HttpClient http;
    private final ObjectMapper json;
    private final CallListener listener;

    public OxbowClient(String host, String token) {
        this(host, token, CallListener.NONE);
    }

    public OxbowClient(String host, String token, CallListener listener) {
        this.host = host.replaceAll("/+$", "");
        this.token = token;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        this.json = mapper();
        this.listener = listener;
    }

    /** The same server and token, telling {@code listener} about every call. */
    public OxbowClient withListener(CallListener listener) {
        return new OxbowClient(host, token, listener);
    }

    /**
     * OXBOW_HOST/OXBOW_TOKEN, else DATABRICKS_HOST/DATABRICKS_TOKEN, else the local server's credentials file
     * ($OXBOW_HOME/admin-token, default ~/.oxbow) on 127.0.0.1:$OXBOW_API_PORT.
     */
    public static OxbowClient fromEnvironment() {
        return fromEnvironment(System.getenv());
    }

    /** As {@link #fromEnvironment()}, reading the variables from {@code env} (a launcher run in-process, a test). */
    public static OxbowClient fromEnvironment(Map<String, String> env) {
        return fromEnvironment(env, null);
    }

    /**
     * As the Databricks CLI resolves its workspace: an explicit {@code profile} (--profile) of ~/.databrickscfg wins;
     * then OXBOW_HOST/OXBOW_TOKEN; then DATABRICKS_CONFIG_PROFILE's profile; then DATABRICKS_HOST/DATABRICKS_TOKEN;
     * then the local server's credentials file. Without a profile named, the config file is not read, so a
     * newcomer's ~/.databrickscfg for a real workspace never redirects Oxbow's commands.
     */
    public static OxbowClient fromEnvironment(Map<String, String> env, String profile) {
        if (profile != null && !profile.isBlank()) {
            return DatabricksConfigFile.of(env).client(profile);
        }
        String envProfile = env(env, "DATABRICKS_CONFIG_PROFILE", null);
        if (env(env, "OXBOW_HOST", null) == null && envProfile != null) {
            return DatabricksConfigFile.of(env).client(envProfile);
        }
        return new OxbowClient(hostFromEnvironment(env), tokenFromEnvironment(env));
    }

    public static String hostFromEnvironment(Map<String, String> env) {
        String host = env(env, "OXBOW_HOST", env(env, "DATABRICKS_HOST", null));
        if (host == null) {
            return "http://127.0.0.1:" + env(env, "OXBOW_API_PORT", "8080");
        }
        return host.contains("://") ? host : "https://" + host;
    }

    public static String tokenFromEnvironment(Map<String, String> env) {
        String token = env(env, "OXBOW_TOKEN", env(env, "DATABRICKS_TOKEN", null));
        if (token != null) {
            return token;
        }
        Path file = homeFromEnvironment(env).resolve("admin-token");
        if (!Files.isReadable(file)) {
            throw new OxbowException(401, "UNAUTHENTICATED", "no API token: set OXBOW_TOKEN (or DATABRICKS_TOKEN), or run on the server's machine where "
                    + file + " exists");
        }
        try {
            return Files.readString(file).strip();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Path homeFromEnvironment() {
        return homeFromEnvironment(System.getenv());
    }

    public static Path homeFromEnvironment(Map<String, String> env) {
        return Path.of(env(env, "OXBOW_HOME", System.getProperty("user.home") + "/.oxbow"));
    }

    /** The mapper of the SDK's records: snake_case, RFC 3339 timestamps, nulls left out, unknown fields ignored. */
    public static ObjectMapper mapper() {
        return new ObjectMapper()
                .registerModule(new JavaTimeModule())
                .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                .setSerializationInclusion(JsonInclude.Include.NON_NULL)
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .disable(DeserializationFeature.ADJUST_DATES_TO_CONTEXT_TIME_ZONE)
                .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);
    }

    public String host() {
        return host;
    }

    public ObjectMapper json() {
        return json;
    }

    public Postgres postgres() {
        return new Postgres(this);
    }

    /** Oxbow's masking rules of a project (what masked branches apply). */
    public Masking masking() {
        return new Masking(this);
    }

    /**
     * One API call. {@code query} values that are null are left out; {@code body} is any Jackson-serialisable value
     * (a JsonNode, a record, a map) or null. Returns the answer's JSON ({} for an empty body); throws the typed
     * {@link OxbowException} for an error answer.
     */
    public JsonNode call(String method, String path, Map<String, ?> query, Object body) {
        long started = System.nanoTime();
        String target = path;
        try {
            StringJoiner q = new StringJoiner("&", "?", "").setEmptyValue("");
            if (query != null) {
                query.forEach((k, v) -> {
                    if (v != null) {
                        q.add(k + "=" + URLEncoder.encode(v.toString(), StandardCharsets.UTF_8));
                    }
                });
            }
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(host + path + q))
                    .header("Authorization", "Bearer " + token)
                    .header("Accept", "application/json");
            if (body == null) {
                request.method(method, HttpRequest.BodyPublishers.noBody());
            } else {
                request.header("Content-Type", "application/json")
                        .method(method, HttpRequest.BodyPublishers.ofString(json.writeValueAsString(body)));
            }
            target = path + q;
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            listener.called(method, target, response.statusCode(), Duration.ofNanos(System.nanoTime() - started), null);
            JsonNode answer = parse(response.body());
            if (response.statusCode() >= 400) {
                throw OxbowException.from(response.statusCode(), answer, response.body());
            }
            return answer;
        } catch (IOException e) {
            listener.called(method, target, 0, Duration.ofNanos(System.nanoTime() - started), e.toString());
            throw new UncheckedIOException("cannot reach " + host + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while calling " + path, e);
        }
    }

    public JsonNode get(String path) {
        return call("GET", path, null, null);
    }

    private JsonNode parse(String body) {
        if (body == null || body.isBlank()) {
            return json.createObjectNode();
        }
        try {
            return json.readTree(body);
        } catch (IOException e) {
            return json.createObjectNode(); // not JSON (a proxy's HTML page): the status and raw text tell the story
        }
    }

    private static String env(Map<String, String> env, String name, String fallback) {
        String v = env.get(name);
        return v == null || v.isBlank() ? fallback : v;
    }
}
