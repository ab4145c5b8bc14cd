package dev.oxbow.cli.postgres;

import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.HashMap;
import java.util.Map;

/** create/get/list/update/delete-endpoint. */
final class EndpointCommands {
    static final Table TABLE = Table.of("NAME", "/name", "TYPE", "/status/endpoint_type", "STATE", "/status/current_state",
            "MIN CU", "/status/autoscaling_limit_min_cu", "MAX CU", "/status/autoscaling_limit_max_cu", "HOST", "/status/hosts/host");

    private EndpointCommands() {}

    @Command(name = "create-endpoint", description = "Create an endpoint: PARENT ENDPOINT_ID --json '{\"spec\":{\"endpoint_type\":…}}'.")
    static final class Create extends LroCall {
        @Parameters(index = "0", paramLabel = "PARENT", description = "Branch name.") String parent;
        @Parameters(index = "1", paramLabel = "ENDPOINT_ID") String endpointId;
        @Option(names = "--replace-existing", description = "Adopt the endpoint if it already exists.") boolean replaceExisting;
        @Mixin JsonBody body;

        void run() throws Exception {
            ObjectNode b = body.object();
            BranchCommands.normaliseTtl(JsonBody.spec(b), "suspend_timeout_duration");
            finish(api.createEndpoint(parent, endpointId, b, replaceExisting), "Creating endpoint " + endpointId, true);
        }
    }

    @Command(name = "get-endpoint", description = "Get an endpoint by name.")
    static final class Get extends PostgresCall {
        @Parameters(index = "0", paramLabel = "NAME") String name;

        void run() throws Exception {
            print(api.getJson(name));
        }
    }

    @Command(name = "list-endpoints", description = "List the endpoints of a branch.")
    static final class List extends PostgresCall {
        @Parameters(index = "0", paramLabel = "PARENT") String parent;
        @Option(names = "--page-size") Integer pageSize;
        @Option(names = "--limit", defaultValue = "0", description = "Print at most this many (0: all).") int limit;

        void run() throws Exception {
            Map<String, Object> q = new HashMap<>();
            q.put("page_size", pageSize);
            printList(api.listJson(parent, "endpoints", q), limit, TABLE);
        }
    }

    @Command(name = "update-endpoint", description = "Update an endpoint: NAME UPDATE_MASK --json '{\"spec\":{…}}', e.g. spec.autoscaling_limit_max_cu.")
    static final class Update extends LroCall {
        @Parameters(index = "0", paramLabel = "NAME") String name;
        @Parameters(index = "1", paramLabel = "UPDATE_MASK") String mask;
        @Mixin JsonBody body;

        void run() throws Exception {
            ObjectNode b = body.object();
            BranchCommands.normaliseTtl(JsonBody.spec(b), "suspend_timeout_duration");
            finish(api.updateEndpoint(name, b, mask), "Updating " + name, true);
        }
    }

    @Command(name = "delete-endpoint", description = "Delete an endpoint.")
    static final class Delete extends LroCall {
        @Parameters(index = "0", paramLabel = "NAME") String name;

        void run() throws Exception {
            finish(api.deleteEndpoint(name), "Deleting " + name, false);
        }
    }
}
