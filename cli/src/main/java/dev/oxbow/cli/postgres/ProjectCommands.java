package dev.oxbow.cli.postgres;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.oxbow.client.Operation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.Map;

/** create/get/list/update/delete/undelete-project, as {@code databricks postgres}. */
final class ProjectCommands {
    static final Table TABLE = Table.of("NAME", "/name", "DISPLAY NAME", "/status/display_name", "PG", "/status/pg_version",
            "OWNER", "/status/owner", "CREATED", "/create_time");

    private ProjectCommands() {}

    @Command(name = "create-project", description = "Create a project (positional PROJECT_ID, or the older --project-id flag).")
    static final class Create extends LroCall {
        @Parameters(index = "0", arity = "0..1", paramLabel = "PROJECT_ID", description = "Project id, e.g. my-app.") String positional;
        @Option(names = "--project-id", description = "Project id (older CLI form).") String flag;
        @Mixin JsonBody body;

        void run() throws Exception {
            if (positional != null && flag != null && !positional.equals(flag)) {
                throw new IllegalArgumentException("Give the project id once: PROJECT_ID '" + positional + "' and --project-id '" + flag + "' differ.");
            }
            String id = positional != null ? positional : flag;
            if (id == null) {
                throw new IllegalArgumentException("Missing PROJECT_ID: oxbow postgres create-project PROJECT_ID [--json '{\"spec\":{…}}'].");
            }
            ObjectNode b = body.object();
            // the spec's own example passes pg_version as a string ("17"); the API wants a number
            ObjectNode spec = JsonBody.spec(b);
            if (spec.path("pg_version").isTextual() && spec.path("pg_version").asText().matches("\\d+")) {
                spec.put("pg_version", Integer.parseInt(spec.path("pg_version").asText()));
            }
            finish(api.createProject(id, b), "Creating project " + id, true);
        }
    }

    @Command(name = "get-project", description = "Get a project by name (projects/ID).")
    static final class Get extends ResourceCalls.Get {
        @Override
        JsonNode fetch(String name) {
            return api.getJson(Names.project(name));
        }
    }

    @Command(name = "list-projects", description = "List projects.")
    static final class List extends ResourceCalls.List {
        @Option(names = "--show-deleted", description = "Include soft-deleted projects.") boolean showDeleted;

        List() {
            super("projects", TABLE);
        }

        @Override
        String parent() {
            return "";
        }

        @Override
        void query(Map<String, Object> q) {
            q.put("show_deleted", showDeleted ? "true" : null);
        }
    }

    @Command(name = "update-project", description = "Update a project: NAME UPDATE_MASK --json '{\"spec\":{…}}'.")
    static final class Update extends ResourceCalls.Update {
        Operation<?> update(String name, ObjectNode body, String mask) {
            return api.updateProject(Names.project(name), body, mask);
        }
    }

    @Command(name = "delete-project", description = "Delete a project (soft delete unless --purge).")
    static final class Delete extends ResourceCalls.Delete {
        @Option(names = "--purge", description = "Delete permanently.") boolean purge;

        Operation<?> delete(String name) {
            return api.deleteProject(Names.project(name), purge);
        }
    }

    @Command(name = "undelete-project", description = "Restore a soft-deleted project.")
    static final class Undelete extends ResourceCalls.Undelete {
        Operation<?> undelete(String name) {
            return api.undeleteProject(Names.project(name));
        }
    }
}
