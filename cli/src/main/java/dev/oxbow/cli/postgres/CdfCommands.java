package dev.oxbow.cli.postgres;

import dev.oxbow.client.CdfConfig;
import dev.oxbow.client.Operation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** create/get/list/delete-cdf-config, get-cdf-status and list-cdf-statuses, as {@code databricks postgres} has them. */
final class CdfCommands {
    static final Table CONFIGS = Table.of("NAME", "/name", "POSTGRES SCHEMA", "/postgres_schema", "CATALOG", "/catalog", "SCHEMA", "/schema");
    static final Table STATUSES = Table.of("TABLE", "/postgres_table", "UC TABLE", "/uc_table", "STATE", "/state", "LSN", "/committed_lsn",
            "LAST SYNC", "/last_sync_time");

    private CdfCommands() {}

    @Command(name = "create-cdf-config", description = "Feed every table of a Postgres schema into Delta: PARENT CATALOG SCHEMA POSTGRES_SCHEMA"
            + " (PARENT is a database name).")
    static final class Create extends LroCall {
        @Parameters(index = "0", paramLabel = "PARENT") String parent;
        @Parameters(index = "1", paramLabel = "CATALOG") String catalog;
        @Parameters(index = "2", paramLabel = "SCHEMA") String schema;
        @Parameters(index = "3", paramLabel = "POSTGRES_SCHEMA") String postgresSchema;
        @Option(names = "--cdf-config-id", description = "Config id (default: the Postgres schema's name).") String id;

        void run() throws Exception {
            finish(api.createCdfConfig(parent, id, CdfConfig.of(catalog, schema, postgresSchema)), "Creating CDF config", true);
        }
    }

    @Command(name = "get-cdf-config", description = "Get a CDF config by name.")
    static final class Get extends ResourceCalls.Get {}

    @Command(name = "list-cdf-configs", description = "List the CDF configs of a database.")
    static final class List extends ResourceCalls.ChildList {
        List() {
            super("cdf-configs", CONFIGS);
        }
    }

    @Command(name = "delete-cdf-config", description = "Delete a CDF config: the feed stops, its slot is dropped, the Delta tables stay.")
    static final class Delete extends ResourceCalls.Delete {
        @Option(names = "--force", description = "Delete even if the compute cannot be reached to drop the slot.") boolean force;

        Operation<?> delete(String name) {
            return api.deleteCdfConfig(name, force);
        }
    }

    @Command(name = "get-cdf-status", description = "Get one table's CDF status: <cdf config>/cdf-statuses/<table>.")
    static final class GetStatus extends ResourceCalls.Get {}

    @Command(name = "list-cdf-statuses", description = "List the per-table statuses of a CDF config.")
    static final class ListStatuses extends ResourceCalls.ChildList {
        ListStatuses() {
            super("cdf-statuses", STATUSES);
        }
    }
}
