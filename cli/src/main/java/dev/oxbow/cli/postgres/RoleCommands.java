package dev.oxbow.cli.postgres;

import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.HashMap;
import java.util.Map;

/** create/get/list/update/delete-role. */
final class RoleCommands {
    static final Table TABLE = Table.of("NAME", "/name", "POSTGRES ROLE", "/status/postgres_role", "IDENTITY", "/status/identity_type",
            "AUTH", "/status/auth_method");

    private RoleCommands() {}

    @Command(name = "create-role", description = "Create a role: PARENT [--role-id ID] --json '{\"spec\":{…}}'.")
    static final class Create extends LroCall {
        @Parameters(index = "0", paramLabel = "PARENT", description = "Branch name.") String parent;
        @Option(names = "--role-id", description = "Role id (default: chosen by the server).") String roleId;
        @Option(names = "--replace-existing") boolean replaceExisting;
        @Mixin JsonBody body;

        void run() throws Exception {
            ObjectNode b = body.object();
            if (b.has("role")) {
                throw new IllegalArgumentException("--json takes the role itself ({\"spec\":{…}}), not {\"role\":…}.");
            }
            finish(api.createRole(parent, roleId, b, replaceExisting), "Creating role", true);
        }
    }

    @Command(name = "get-role", description = "Get a role by name.")
    static final class Get extends PostgresCall {
        @Parameters(index = "0", paramLabel = "NAME") String name;

        void run() throws Exception {
            print(api.getJson(name));
        }
    }

    @Command(name = "list-roles", description = "List the roles of a branch.")
    static final class List extends PostgresCall {
        @Parameters(index = "0", paramLabel = "PARENT") String parent;
        @Option(names = "--page-size") Integer pageSize;
        @Option(names = "--limit", defaultValue = "0") int limit;

        void run() throws Exception {
            Map<String, Object> q = new HashMap<>();
            q.put("page_size", pageSize);
            printList(api.listJson(parent, "roles", q), limit, TABLE);
        }
    }

    @Command(name = "update-role", description = "Update a role: NAME UPDATE_MASK --json '{\"spec\":{…}}'.")
    static final class Update extends LroCall {
        @Parameters(index = "0", paramLabel = "NAME") String name;
        @Parameters(index = "1", paramLabel = "UPDATE_MASK") String mask;
        @Mixin JsonBody body;

        void run() throws Exception {
            finish(api.updateRole(name, body.object(), mask), "Updating " + name, true);
        }
    }

    @Command(name = "delete-role", description = "Delete a role.")
    static final class Delete extends LroCall {
        @Parameters(index = "0", paramLabel = "NAME") String name;
        @Option(names = "--reassign-owned-to", description = "Role (name) that takes over the deleted role's objects.") String reassignOwnedTo;

        void run() throws Exception {
            finish(api.deleteRole(name, reassignOwnedTo), "Deleting " + name, false);
        }
    }
}
