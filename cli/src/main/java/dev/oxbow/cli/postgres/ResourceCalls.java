package dev.oxbow.cli.postgres;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.oxbow.client.Operation;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.HashMap;
import java.util.Map;

/**
 * The get/list/update/delete/undelete shapes every resource's commands share (arguments, flags, waiting, printing),
 * so each resource's class only names its commands and says what is its own: the SDK call and any extra flags.
 */
final class ResourceCalls {
    private ResourceCalls() {}

    /** {@code get-x NAME}: prints the resource as the API returns it. */
    abstract static class Get extends PostgresCall {
        @Parameters(index = "0", paramLabel = "NAME") String name;

        /** The API's JSON for {@code name} as typed; resources with short forms (project ids) resolve them here. */
        JsonNode fetch(String name) {
            return api.getJson(name);
        }

        void run() throws Exception {
            print(fetch(name));
        }
    }

    /** {@code list-xs}: every page, as JSON or a table. */
    abstract static class List extends PostgresCall {
        @Option(names = "--page-size", description = "Items per request (the CLI still fetches every page).") Integer pageSize;
        @Option(names = "--limit", defaultValue = "0", description = "Print at most this many (0: all).") int limit;
        @Option(names = "--page-token", hidden = true, description = "Start from this page (a next_page_token).") String pageToken;

        private final String collection;
        private final Table table;

        List(String collection, Table table) {
            this.collection = collection;
            this.table = table;
        }

        /** The parent resource name ("" for top-level collections). */
        abstract String parent();

        /** Resource-specific query parameters (null values are left out). */
        void query(Map<String, Object> q) {}

        void run() throws Exception {
            Map<String, Object> q = new HashMap<>();
            q.put("page_size", pageSize);
            q.put("page_token", pageToken);
            query(q);
            printList(api.listJson(parent(), collection, q), limit, table);
        }
    }

    /** {@code list-xs PARENT} for resources that live under a project or branch. */
    abstract static class ChildList extends List {
        @Parameters(index = "0", paramLabel = "PARENT") String parent;

        ChildList(String collection, Table table) {
            super(collection, table);
        }

        String parent() {
            return parent;
        }
    }

    /** {@code update-x NAME UPDATE_MASK --json …}: waits and prints the updated resource. */
    abstract static class Update extends LroCall {
        @Parameters(index = "0", paramLabel = "NAME") String name;
        @Parameters(index = "1", paramLabel = "UPDATE_MASK", description = "Comma-separated field paths, e.g. spec.display_name.") String mask;
        @Mixin JsonBody body;

        abstract Operation<?> update(String name, ObjectNode body, String mask);

        void run() throws Exception {
            finish(update(name, body.object(), mask), "Updating " + name, true);
        }
    }

    /** {@code delete-x NAME}: waits and prints nothing. */
    abstract static class Delete extends LroCall {
        @Parameters(index = "0", paramLabel = "NAME") String name;

        abstract Operation<?> delete(String name);

        void run() throws Exception {
            finish(delete(name), "Deleting " + name, false);
        }
    }

    /** {@code undelete-x NAME}: restores a soft-deleted resource. */
    abstract static class Undelete extends LroCall {
        @Parameters(index = "0", paramLabel = "NAME") String name;

        abstract Operation<?> undelete(String name);

        void run() throws Exception {
            finish(undelete(name), "Restoring " + name, false);
        }
    }
}
