package dev.oxbow.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.oxbow.client.OxbowClient;
import dev.oxbow.client.OxbowException;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;

/**
 * Which Oxbow server the client commands talk to (resolved by {@link OxbowClient#fromEnvironment(java.util.Map)}: OXBOW_HOST/OXBOW_TOKEN,
 * else DATABRICKS_HOST/DATABRICKS_TOKEN, else the local server's credentials file), plus the data directory for its CA.
 */
record ApiTarget(OxbowClient client, Path home) {

    static ApiTarget of(CliEnvironment env) {
        return new ApiTarget(env.client(), env.home());
    }

    /** One raw call; an API error becomes "ERROR_CODE: message" for the user. */
    JsonNode call(String method, String path, String body) throws IOException {
        try {
            return client.call(method, path, null, body == null ? null : client.json().readTree(body));
        } catch (OxbowException e) {
            throw new IOException(e.errorCode() + ": " + e.getMessage());
        }
    }

    String hostName() {
        return URI.create(client.host()).getHost();
    }
}
