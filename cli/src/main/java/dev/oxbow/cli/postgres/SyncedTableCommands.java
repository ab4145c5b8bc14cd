package dev.oxbow.cli.postgres;

import com.fasterxml.jackson.databind.JsonNode;
import dev.oxbow.client.Operation;
import dev.oxbow.client.Postgres;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** create/get/delete-synced-table (api.md §16.1: no list, no update). */
final class SyncedTableCommands {
    private SyncedTableCommands() {}

    @Command(name = "create-synced-table", description = "Create a synced table: SYNCED_TABLE_ID (catalog.schema.table) --json '{\"spec\":{…}}'.")
    static final class Create extends LroCall {
        @Parameters(index = "0", paramLabel = "SYNCED_TABLE_ID") String id;
        @Mixin JsonBody body;

        void run() throws Exception {
            finish(api.createSyncedTable(id, body.object()), "Creating synced table " + id, true);
        }
    }

    @Command(name = "get-synced-table", description = "Get a synced table: synced_tables/catalog.schema.table (or catalog.schema.table).")
    static final class Get extends ResourceCalls.Get {
        @Override
        JsonNode fetch(String name) {
            return api.getJson(Postgres.syncedTableName(name));
        }
    }

    @Command(name = "delete-synced-table", description = "Delete a synced table (the Postgres table stays unless --purge-data).")
    static final class Delete extends ResourceCalls.Delete {
        @Option(names = "--purge-data", description = "Also drop the Postgres table.") boolean purgeData;

        Operation<?> delete(String name) {
            return api.deleteSyncedTable(name, purgeData);
        }
    }
}
