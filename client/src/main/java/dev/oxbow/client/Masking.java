package dev.oxbow.client;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * {@code /api/2.0/oxbow/projects/{p}/masking-rules} (Oxbow extension): the rules every branch created with
 * {@code spec.masked} applies. Reading needs CAN_USE on the project, replacing them CAN_MANAGE.
 */
public final class Masking {
    private final OxbowClient client;

    Masking(OxbowClient client) {
        this.client = client;
    }

    /** One column and what masking does to it: {@code redact}, {@code hash}, {@code fake_email}, {@code null} or {@code keep}. */
    public record Rule(String database, String schema, String table, String column, String action) {}

    public record Rules(String name, List<Rule> rules, Instant updateTime) {}

    /** {@code project} is {@code projects/<id>} or the bare id. */
    public Rules getRules(String project) {
        return read(client.get(path(project)));
    }

    /** Replaces the project's rules as a whole (all validated first; an invalid one changes nothing). */
    public Rules setRules(String project, List<Rule> rules) {
        return read(client.call("PATCH", path(project), null, Map.of("rules", rules)));
    }

    private Rules read(com.fasterxml.jackson.databind.JsonNode n) {
        return client.json().convertValue(n, Rules.class);
    }

    private static String path(String project) {
        String name = project.startsWith("projects/") ? project : "projects/" + project;
        return "/api/2.0/oxbow/" + name + "/masking-rules";
    }
}
