package dev.oxbow.cli.postgres;

import com.fasterxml.jackson.databind.JsonNode;
import dev.oxbow.client.Durations;
import dev.oxbow.client.Operation;
import picocli.CommandLine.Option;

/**
 * A command that starts a long-running operation: waits for it by default (spinner on a terminal) and prints the
 * resulting resource, or with --no-wait prints the operation as a fresh get-operation returns it.
 */
abstract class LroCall extends PostgresCall {
    @Option(names = "--no-wait", description = "Do not wait for the operation; print it instead.")
    boolean noWait;

    @Option(names = "--timeout", defaultValue = "0", description = "Maximum time to wait, e.g. 90s, 20m, 1h (default 0: no limit, as the Databricks CLI).")
    String timeout;

    /** Waits for (or hands back) {@code op}; {@code printResult} false for deletes, which have nothing to show. */
    void finish(Operation<?> op, String doing, boolean printResult) throws Exception {
        if (noWait) {
            print(api.getOperation(op.name()).json());
            return;
        }
        JsonNode result;
        try (Spinner ignored = env.spinner() ? Spinner.start(doing, spec.commandLine().getErr()) : Spinner.none()) {
            result = op.waitForJson(Durations.parse(timeout));
        }
        if (printResult) {
            print(result);
        }
    }
}
