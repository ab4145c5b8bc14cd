package dev.oxbow.cli.postgres;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code diff-branches}: an Oxbow extension, what differs between two branches of a project. */
final class DiffCommands {
    private DiffCommands() {}

    @Command(name = "diff-branches", description = "Show what differs between BRANCH and --against: schema as DDL that, run on "
            + "--against, makes it match BRANCH; rows BRANCH added, removed and changed, by primary key.")
    static final class DiffBranches extends PostgresCall {
        @Parameters(index = "0", paramLabel = "BRANCH", description = "Branch name, e.g. projects/my-app/branches/dev.") String branch;
        @Option(names = "--against", required = true, description = "Branch id or name of the same project, e.g. production.") String against;
        @Option(names = "--schema-only", description = "Compare schemas only, not rows.") boolean schemaOnly;
        @Option(names = "--database", description = "Postgres database (default: databricks_postgres).") String database;
        @Option(names = "--page-size", description = "Example rows per kind of change and table (default 10, at most 100).") Integer pageSize;
        @Option(names = "--json", description = "Print the API's JSON instead of text.") boolean json;

        void run() throws Exception {
            JsonNode d = api.diffBranches(branch, against, schemaOnly, database, pageSize);
            if (json) {
                print(d);
            } else {
                spec.commandLine().getOut().print(text(d));
            }
        }
    }

    /** The diff for people: the DDL script first (runnable as is), then one block per table whose rows differ. */
    static String text(JsonNode d) {
        StringBuilder out = new StringBuilder();
        out.append("-- ").append(d.path("branch").asText()).append(" compared with ").append(d.path("against").asText())
                .append(", database ").append(d.path("database").asText()).append('\n');
        if (d.path("identical").asBoolean()) {
            out.append("-- identical").append(d.path("schema_only").asBoolean() ? " schemas" : "").append('\n');
        }
        JsonNode statements = d.path("schema").path("statements");
        if (statements.isEmpty()) {
            out.append("-- schema: no differences\n");
        } else {
            out.append("-- schema: run on ").append(d.path("against").asText()).append(" to match ").append(d.path("branch").asText()).append('\n');
            statements.forEach(s -> out.append(s.asText()).append(";\n"));
        }
        JsonNode data = d.path("data");
        if (!data.isMissingNode()) {
            out.append("-- rows: ").append(data.path("tables_compared").asInt()).append(" tables compared, ")
                    .append(data.path("tables").size()).append(" differ\n");
            for (JsonNode t : data.path("tables")) {
                out.append("--   ").append(t.path("table").asText()).append(": +").append(t.path("rows_added").asLong())
                        .append(" -").append(t.path("rows_removed").asLong()).append(" ~").append(t.path("rows_changed").asLong()).append('\n');
                for (JsonNode e : t.path("examples")) {
                    String sign = switch (e.path("change").asText()) {
                        case "ADDED" -> "+";
                        case "REMOVED" -> "-";
                        default -> "~";
                    };
                    JsonNode row = e.path("branch_row").isNull() ? e.path("against_row") : e.path("branch_row");
                    out.append("--     ").append(sign).append(' ').append(e.path("key")).append(' ').append(row).append('\n');
                }
            }
            for (JsonNode t : data.path("not_comparable")) {
                out.append("--   ").append(t.path("table").asText()).append(": not compared (").append(t.path("reason").asText()).append(")\n");
            }
        }
        JsonNode s = d.path("stats");
        out.append("-- ").append(s.path("queries").asLong()).append(" queries, ").append(s.path("bytes_returned").asLong())
                .append(" bytes returned for ").append(s.path("compared_table_bytes").asLong()).append(" bytes of tables, ")
                .append(s.path("elapsed_ms").asLong()).append(" ms\n");
        return out.toString();
    }
}
