package dev.oxbow.cli.postgres;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.oxbow.client.Operation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** create/get/update/delete-data-api: a database's PostgREST-compatible Data API (named {@code <database>/data-api}). */
final class DataApiCommands {
    private DataApiCommands() {}

    @Command(name = "create-data-api", description = "Create a database's Data API: PARENT (the database) --json '{\"spec\":{\"db_schemas\":[\"public\"]}}'.")
    static final class Create extends LroCall {
        @Parameters(index = "0", paramLabel = "PARENT", description = "Database name, projects/<p>/branches/<b>/databases/<d>.") String parent;
        @Mixin JsonBody body;

        void run() throws Exception {
            finish(api.createDataApi(parent, body.object()), "Creating the Data API", true);
        }
    }

    @Command(name = "get-data-api", description = "Get a Data API by name (<database>/data-api); status.url is where it is served.")
    static final class Get extends ResourceCalls.Get {}

    @Command(name = "update-data-api", description = "Update a Data API: NAME UPDATE_MASK --json '{\"spec\":{…}}'.")
    static final class Update extends ResourceCalls.Update {
        Operation<?> update(String name, ObjectNode body, String mask) {
            return api.updateDataApi(name, body, mask);
        }
    }

    @Command(name = "delete-data-api", description = "Delete a Data API; its URL answers 404 afterwards.")
    static final class Delete extends ResourceCalls.Delete {
        Operation<?> delete(String name) {
            return api.deleteDataApi(name);
        }
    }
}
