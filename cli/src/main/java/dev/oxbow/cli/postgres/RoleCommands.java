package dev.oxbow.cli.postgres;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.oxbow.client.Operation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

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
    static final class Get extends ResourceCalls.Get {}

    @Command(name = "list-roles", description = "List the roles of a branch.")
    static final class List extends ResourceCalls.ChildList {
        List() {
            super("roles", TABLE);
        }
    }

    @Command(name = "update-role", description = "Update a role: NAME UPDATE_MASK --json '{\"spec\":{…}}'.")
    static final class Update extends ResourceCalls.Update {
        Operation<?> update(String name, ObjectNode body, String mask) {
            return api.updateRole(name, body, mask);
        }
    }

    @Command(name = "delete-role", description = "Delete a role.")
    static final class Delete extends ResourceCalls.Delete {
        @Option(names = "--reassign-owned-to", description = "Role (name) that takes over the deleted role's objects.") String reassignOwnedTo;

        Operation<?> delete(String name) {
            return api.deleteRole(name, reassignOwnedTo);
        }
    }
}
