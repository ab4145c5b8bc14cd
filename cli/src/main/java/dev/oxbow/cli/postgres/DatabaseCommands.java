package dev.oxbow.cli.postgres;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.oxbow.client.Operation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** create/get/list/update/delete-database. */
final class DatabaseCommands {
    static final Table TABLE = Table.of("NAME", "/name", "POSTGRES DATABASE", "/status/postgres_database", "OWNER", "/status/role");

    private DatabaseCommands() {}

    @Command(name = "create-database", description = "Create a database: PARENT [--database-id ID] --json '{\"spec\":{\"postgres_database\":…,\"role\":…}}'.")
    static final class Create extends LroCall {
        @Parameters(index = "0", paramLabel = "PARENT", description = "Branch name.") String parent;
        @Option(names = "--database-id", description = "Database id (default: derived by the server).") String databaseId;
        @Option(names = "--replace-existing") boolean replaceExisting;
        @Mixin JsonBody body;

        void run() throws Exception {
            finish(api.createDatabase(parent, databaseId, body.object(), replaceExisting), "Creating database", true);
        }
    }

    @Command(name = "get-database", description = "Get a database by name.")
    static final class Get extends ResourceCalls.Get {}

    @Command(name = "list-databases", description = "List the databases of a branch.")
    static final class List extends ResourceCalls.ChildList {
        List() {
            super("databases", TABLE);
        }
    }

    @Command(name = "update-database", description = "Update a database: NAME UPDATE_MASK --json '{\"spec\":{…}}'.")
    static final class Update extends ResourceCalls.Update {
        Operation<?> update(String name, ObjectNode body, String mask) {
            return api.updateDatabase(name, body, mask);
        }
    }

    @Command(name = "delete-database", description = "Delete a database.")
    static final class Delete extends ResourceCalls.Delete {
        Operation<?> delete(String name) {
            return api.deleteDatabase(name);
        }
    }
}
