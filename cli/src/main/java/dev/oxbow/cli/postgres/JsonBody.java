package dev.oxbow.cli.postgres;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The {@code --json} request body: inline JSON or @file, the bare resource ({"spec":{…}}) as the Databricks CLI takes it. */
final class JsonBody {
    @Option(names = "--json", description = "Request body: inline JSON or @path/to/file.json.")
    String json;

    @Option(names = "--name", description = "The resource's name field (output only; sent in the body, as the Databricks CLI's --name is).")
    String name;

    /** Whether --json was given (the Databricks CLI then takes fields from it instead of some positionals). */
    boolean given() {
        return json != null;
    }

    /** The body as an object ({} when not given) with --name applied; bad JSON is the user's error, said plainly. */
    ObjectNode object() {
        ObjectNode body = parsed();
        if (name != null) {
            body.put("name", name);
        }
        return body;
    }

    private ObjectNode parsed() {
        if (json == null || json.isBlank()) {
            return PostgresCall.PRINTER.createObjectNode();
        }
        String text = json;
        try {
            if (json.startsWith("@")) {
                text = Files.readString(Path.of(json.substring(1)));
            }
            JsonNode node = PostgresCall.PRINTER.readTree(text);
            if (!(node instanceof ObjectNode object)) {
                throw new IllegalArgumentException("--json must be a JSON object, e.g. '{\"spec\":{…}}'.");
            }
            return object;
        } catch (IOException e) {
            throw new IllegalArgumentException("Invalid --json: " + e.getMessage().lines().findFirst().orElse(""));
        }
    }

    /** The body's spec object, created when missing. */
    static ObjectNode spec(ObjectNode body) {
        return body.has("spec") && body.get("spec").isObject() ? (ObjectNode) body.get("spec") : body.putObject("spec");
    }
}
