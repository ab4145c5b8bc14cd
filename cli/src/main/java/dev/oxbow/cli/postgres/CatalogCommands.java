package dev.oxbow.cli.postgres;

import com.fasterxml.jackson.databind.JsonNode;
import dev.oxbow.client.Operation;
import dev.oxbow.client.Postgres;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** create/get/delete-catalog, as {@code databricks postgres} has them (no list, no update). */
final class CatalogCommands {
    private CatalogCommands() {}

    @Command(name = "create-catalog", description = "Register a branch's Postgres database as a catalog: CATALOG_ID --json "
            + "'{\"spec\":{\"branch\":\"projects/p/branches/b\",\"postgres_database\":\"db\",\"create_database_if_missing\":true}}'.")
    static final class Create extends LroCall {
        @Parameters(index = "0", paramLabel = "CATALOG_ID") String id;
        @Mixin JsonBody body;

        void run() throws Exception {
            finish(api.createCatalog(id, body.object()), "Creating catalog " + id, true);
        }
    }

    @Command(name = "get-catalog", description = "Get a catalog: catalogs/ID (or ID).")
    static final class Get extends ResourceCalls.Get {
        @Override
        JsonNode fetch(String name) {
            return api.getJson(Postgres.catalogName(name));
        }
    }

    @Command(name = "delete-catalog", description = "Delete a catalog (the Postgres database stays).")
    static final class Delete extends ResourceCalls.Delete {
        Operation<?> delete(String name) {
            return api.deleteCatalog(name);
        }
    }
}
