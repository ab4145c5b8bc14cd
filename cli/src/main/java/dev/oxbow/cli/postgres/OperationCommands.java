package dev.oxbow.cli.postgres;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.oxbow.client.Durations;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.Map;

/** get-operation and generate-database-credential. */
final class OperationCommands {
    private OperationCommands() {}

    @Command(name = "get-operation", description = "Get a long-running operation by name.")
    static final class GetOperation extends ResourceCalls.Get {
        @Override
        JsonNode fetch(String name) {
            return api.getOperation(name).json();
        }
    }

    @Command(name = "generate-database-credential", description = "Mint a short-lived Postgres password for ENDPOINT (default 1 h).")
    static final class GenerateCredential extends PostgresCall {
        @Parameters(index = "0", arity = "0..1", paramLabel = "ENDPOINT",
                description = "Endpoint name; with --json, give \"endpoint\" in the JSON instead.") String endpoint;
        @Option(names = "--ttl", description = "Lifetime, 5m to 1h, e.g. 15m or 900s.") String ttl;
        @Option(names = "--expire-time", description = "RFC 3339 expiry time, 5 min to 1 h ahead.") String expireTime;
        @Mixin JsonBody body;

        void run() throws Exception {
            ObjectNode b = body.object();
            if (body.given()) {
                // as the Databricks CLI: with --json the endpoint comes from the JSON, never a positional
                if (endpoint != null) {
                    throw new IllegalArgumentException("when --json flag is specified, no positional arguments are required. "
                            + "Provide 'endpoint' in your JSON input");
                }
            } else if (endpoint == null) {
                throw new IllegalArgumentException("Missing required parameter: 'ENDPOINT' (or give --json '{\"endpoint\": ...}').");
            } else {
                b.put("endpoint", endpoint);
            }
            if (ttl != null) {
                b.put("ttl", Durations.wire(Durations.seconds(ttl)));
            }
            if (expireTime != null) {
                b.put("expire_time", expireTime);
            }
            print(client.call("POST", "/api/2.0/postgres/credentials", Map.of(), b));
        }
    }
}
