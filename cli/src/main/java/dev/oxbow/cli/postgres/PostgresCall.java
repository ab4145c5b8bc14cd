package dev.oxbow.cli.postgres;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.ObjectWriter;
import dev.oxbow.cli.CliEnvironment;
import dev.oxbow.client.OxbowClient;
import dev.oxbow.client.Postgres;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * One {@code oxbow postgres} command: resolves the server from the launcher's environment and prints the API's JSON on
 * the command line's out writer (stdout for the real launcher).
 */
abstract class PostgresCall implements Callable<Integer> {
    static final ObjectMapper PRINTER = new ObjectMapper();

    /** Pretty JSON as the Databricks CLI prints it: two-space indent, "key": value. */
    private static final ObjectWriter PRETTY = PRINTER.writer(new DefaultPrettyPrinter()
            .withSeparators(Separators.createDefaultInstance().withObjectFieldValueSpacing(Separators.Spacing.AFTER)));

    @Option(names = {"-o", "--output"}, description = "Output: text (default; JSON, as the Databricks CLI prints these commands), json, "
            + "or table for lists. Default from DATABRICKS_OUTPUT_FORMAT.")
    String output;

    @Spec CommandSpec spec;

    CliEnvironment env;
    OxbowClient client;
    Postgres api;

    abstract void run() throws Exception;

    @Override
    public Integer call() throws Exception {
        env = CliEnvironment.of(spec);
        if (output == null) {
            output = env.get("DATABRICKS_OUTPUT_FORMAT", "text");
        }
        if (!List.of("json", "table", "text").contains(output.toLowerCase())) {
            throw new IllegalArgumentException("Invalid output '" + output + "': use text, json or table.");
        }
        client = env.client();
        api = client.postgres();
        run();
        return 0;
    }

    void print(JsonNode json) throws Exception {
        spec.commandLine().getOut().println(PRETTY.writeValueAsString(json));
    }

    /** A whole list (every page, up to {@code limit} items when > 0) as a JSON array or as a table. */
    void printList(Iterable<JsonNode> items, int limit, Table table) throws Exception {
        List<JsonNode> all = new ArrayList<>();
        for (JsonNode item : items) {
            if (limit > 0 && all.size() >= limit) {
                break;
            }
            all.add(item);
        }
        if (output.equalsIgnoreCase("table")) {
            spec.commandLine().getOut().print(table.render(all));
        } else {
            // text and json print the same JSON: the Databricks CLI has no text template for postgres commands
            print(PRINTER.valueToTree(all));
        }
    }
}
