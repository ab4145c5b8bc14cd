package dev.oxbow.cli.postgres;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.ArrayList;
import java.util.List;

/** Oxbow extension: a project's masking rules, which every branch created with {@code --masked} applies. */
final class MaskingCommands {
    private MaskingCommands() {}

    static String path(String project) {
        return "/api/2.0/oxbow/" + Names.project(project) + "/masking-rules";
    }

    @Command(name = "get-masking-rules", description = "Oxbow extension: the masking rules of a project (PROJECT).")
    static final class Get extends PostgresCall {
        @Parameters(index = "0", paramLabel = "PROJECT", description = "Project name, e.g. projects/my-app.") String project;

        void run() throws Exception {
            print(client.get(path(project)));
        }
    }

    @Command(name = "set-masking-rules", description = "Oxbow extension: replace a project's masking rules: PROJECT "
            + "--rule DATABASE.SCHEMA.TABLE.COLUMN=ACTION ... (ACTION: redact, hash, fake_email, null, keep) or --json '{\"rules\":[…]}'.")
    static final class Set extends PostgresCall {
        @Parameters(index = "0", paramLabel = "PROJECT", description = "Project name, e.g. projects/my-app.") String project;
        @Option(names = "--rule", description = "A rule, e.g. databricks_postgres.public.users.email=fake_email (repeatable). "
                + "Names with dots or '=' need --json.") List<String> rules = new ArrayList<>();
        @Mixin JsonBody body;

        void run() throws Exception {
            ObjectNode b = body.object();
            if (!rules.isEmpty()) {
                ArrayNode list = b.putArray("rules");
                for (String r : rules) {
                    list.add(parse(r));
                }
            }
            print(client.call("PATCH", path(project), null, b));
        }

        static JsonNode parse(String rule) {
            int eq = rule.lastIndexOf('=');
            String[] parts = eq < 0 ? new String[0] : rule.substring(0, eq).split("\\.", -1);
            if (parts.length != 4) {
                throw new IllegalArgumentException("Invalid --rule '" + rule + "': use DATABASE.SCHEMA.TABLE.COLUMN=ACTION.");
            }
            ObjectNode n = PRINTER.createObjectNode();
            n.put("database", parts[0]).put("schema", parts[1]).put("table", parts[2]).put("column", parts[3])
                    .put("action", rule.substring(eq + 1));
            return n;
        }
    }
}
