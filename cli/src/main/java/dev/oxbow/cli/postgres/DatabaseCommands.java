package dev.oxbow.cli.postgres;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.HashMap;
import java.util.Map;

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
    static final class Get extends PostgresCall {
        @Parameters(index = "0", paramLabel = "NAME") String name;

        void run() throws Exception {
            print(api.getJson(name));
        }
    }

    @Command(name = "list-databases", description = "List the databases of a branch.")
    static final class List extends PostgresCall {
        @Parameters(index = "0", paramLabel = "PARENT") String parent;
        @Option(names = "--page-size") Integer pageSize;
        @Option(names = "--limit", defaultValue = "0") int limit;

        void run() throws Exception {
            Map<String, Object> q = new HashMap<>();
            q.put("page_size", pageSize);
            printList(api.listJson(parent, "databases", q), limit, TABLE);
        }
    }

    @Command(name = "update-database", description = "Update a database: NAME UPDATE_MASK --json '{\"spec\":{…}}'.")
    static final class Update extends LroCall {
        @Parameters(index = "0", paramLabel = "NAME") String name;
        @Parameters(index = "1", paramLabel = "UPDATE_MASK") String mask;
        @Mixin JsonBody body;

        void run() throws Exception {
            finish(api.updateDatabase(name, body.object(), mask), "Updating " + name, true);
        }
    }

    @Command(name = "delete-database", description = "Delete a database.")
    static final class Delete extends LroCall {
        @Parameters(index = "0", paramLabel = "NAME") String name;

        void run() throws Exception {
            finish(api.deleteDatabase(name), "Deleting " + name, false);
        }
    }
}
