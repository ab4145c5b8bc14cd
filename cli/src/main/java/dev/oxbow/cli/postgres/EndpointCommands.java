package dev.oxbow.cli.postgres;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.oxbow.client.Operation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** create/get/list/update/delete-endpoint; the suspend timeout takes human durations (5m) as --ttl does. */
final class EndpointCommands {
    static final Table TABLE = Table.of("NAME", "/name", "TYPE", "/status/endpoint_type", "STATE", "/status/current_state",
            "MIN CU", "/status/autoscaling_limit_min_cu", "MAX CU", "/status/autoscaling_limit_max_cu", "HOST", "/status/hosts/host");

    private EndpointCommands() {}

    /** The body with spec.suspend_timeout_duration on the wire form, for create and update alike. */
    private static ObjectNode normalised(ObjectNode body) {
        BranchCommands.normaliseTtl(JsonBody.spec(body), "suspend_timeout_duration");
        return body;
    }

    @Command(name = "create-endpoint", description = "Create an endpoint: PARENT ENDPOINT_ID --json '{\"spec\":{\"endpoint_type\":…}}'.")
    static final class Create extends LroCall {
        @Parameters(index = "0", paramLabel = "PARENT", description = "Branch name.") String parent;
        @Parameters(index = "1", paramLabel = "ENDPOINT_ID") String endpointId;
        @Option(names = "--replace-existing", description = "Adopt the endpoint if it already exists.") boolean replaceExisting;
        @Mixin JsonBody body;

        void run() throws Exception {
            finish(api.createEndpoint(parent, endpointId, normalised(body.object()), replaceExisting), "Creating endpoint " + endpointId, true);
        }
    }

    @Command(name = "get-endpoint", description = "Get an endpoint by name.")
    static final class Get extends ResourceCalls.Get {}

    @Command(name = "list-endpoints", description = "List the endpoints of a branch.")
    static final class List extends ResourceCalls.ChildList {
        List() {
            super("endpoints", TABLE);
        }
    }

    @Command(name = "update-endpoint", description = "Update an endpoint: NAME UPDATE_MASK --json '{\"spec\":{…}}', e.g. spec.autoscaling_limit_max_cu.")
    static final class Update extends ResourceCalls.Update {
        Operation<?> update(String name, ObjectNode body, String mask) {
            return api.updateEndpoint(name, normalised(body), mask);
        }
    }

    @Command(name = "delete-endpoint", description = "Delete an endpoint.")
    static final class Delete extends ResourceCalls.Delete {
        Operation<?> delete(String name) {
            return api.deleteEndpoint(name);
        }
    }
}
