package dev.oxbow.cli;

import dev.oxbow.client.Endpoint;
import dev.oxbow.client.OxbowClient;
import dev.oxbow.client.OxbowException;
import dev.oxbow.client.Postgres;
import dev.oxbow.client.SyncedTable;
import dev.oxbow.server.OxbowServer;
import dev.oxbow.sync.DeltaTableWriter;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.ServerParameters;
import io.modelcontextprotocol.client.transport.StdioClientTransport;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.spec.McpSchema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code oxbow mcp} started as a subprocess (the real launcher JVM serving stdio), every tool called through the MCP
 * SDK's stdio client, results checked against the server.
 */
@ExtendWith(SharedServerExtension.class)
class McpToolsTest {

    @Test
    void everyLakebaseToolDrivesTheServer(SharedServer shared) throws Exception {
        DeltaTableWriter orders = SyncFixtures.lakeOrders(shared.lake(), "sales", 100);
        OxbowServer server = shared.server();
        Postgres api = new OxbowClient(server.baseUrl(), shared.adminToken()).postgres();
        List<String> command = CliFixture.command("mcp");
        ServerParameters params = ServerParameters.builder(command.getFirst()).args(command.subList(1, command.size()))
                .env(Map.of("OXBOW_HOST", server.baseUrl(), "OXBOW_TOKEN", shared.adminToken()))
                .build();
        try (McpSyncClient mcp = McpClient.sync(new StdioClientTransport(params, McpJsonDefaults.getMapper()))
                .requestTimeout(Duration.ofMinutes(3))
                // the SDK's 20 s default counts the subprocess JVM's start, which a loaded machine can exceed
                .initializationTimeout(Duration.ofMinutes(3)).build()) {
            mcp.initialize();
            assertThat(mcp.listTools().tools()).extracting(McpSchema.Tool::name).containsExactlyInAnyOrder(
                    "create_or_update_lakebase_database", "get_lakebase_database", "delete_lakebase_database",
                    "create_or_update_lakebase_branch", "delete_lakebase_branch", "create_or_update_lakebase_sync",
                    "delete_lakebase_sync", "generate_lakebase_credential",
                    "manage_lakebase_database", "manage_lakebase_branch", "manage_lakebase_sync");

            // database: a true upsert (the reference's NOT_FOUND-dict bug would answer NO_CHANGES here)
            Map<String, Object> created = call(mcp, "create_or_update_lakebase_database", Map.of("name", "agent-app", "type", "autoscale", "pg_version", "16"));
            assertThat(created).containsEntry("name", "projects/agent-app").containsEntry("status", "CREATED")
                    .containsEntry("created", true).containsEntry("type", "autoscale").containsEntry("pg_version", "16")
                    .containsEntry("display_name", "agent-app");
            assertThat(api.getProject("projects/agent-app").status().pgVersion()).isEqualTo(16);
            Map<String, Object> renamed = call(mcp, "create_or_update_lakebase_database", Map.of("name", "projects/agent-app", "type", "autoscale", "display_name", "Agent App"));
            assertThat(renamed).containsEntry("status", "UPDATED").containsEntry("created", false);
            assertThat(api.getProject("projects/agent-app").status().displayName()).isEqualTo("Agent App");
            assertThat(call(mcp, "create_or_update_lakebase_database", Map.of("name", "agent-app", "type", "autoscale")))
                    .containsEntry("status", "NO_CHANGES").containsEntry("error", "No fields specified for update");
            assertThat(call(mcp, "create_or_update_lakebase_database", Map.of("name", "x", "type", "cloud")))
                    .containsEntry("error", "Invalid type 'cloud'. Use 'provisioned' or 'autoscale'.");

            // branch: created from the default branch with no expiry; its read-write compute sized as asked
            Map<String, Object> branch = call(mcp, "create_or_update_lakebase_branch", Map.of("project_name", "agent-app", "branch_id", "feature",
                    "autoscaling_limit_min_cu", 0.5, "autoscaling_limit_max_cu", 2, "scale_to_zero_seconds", 0));
            assertThat(branch).containsEntry("name", "projects/agent-app/branches/feature").containsEntry("status", "CREATED")
                    .containsEntry("created", true).containsEntry("is_default", false);
            @SuppressWarnings("unchecked") Map<String, Object> ep = (Map<String, Object>) branch.get("endpoint");
            assertThat(ep).containsEntry("endpoint_type", Endpoint.READ_WRITE).containsEntry("max_cu", 2.0);
            Endpoint rw = api.getEndpoint((String) ep.get("name"));
            assertThat(rw.status().autoscalingLimitMaxCu()).isEqualTo(2.0);
            assertThat(api.getBranch("projects/agent-app/branches/feature").status().sourceBranch()).isEqualTo("projects/agent-app/branches/production");

            Map<String, Object> updated = call(mcp, "create_or_update_lakebase_branch", Map.of("project_name", "agent-app", "branch_id", "feature",
                    "ttl_seconds", 3600, "autoscaling_limit_max_cu", 3));
            assertThat(updated).containsEntry("status", "UPDATED").containsEntry("created", false).containsKey("expire_time");
            assertThat(api.getBranch("projects/agent-app/branches/feature").status().expireTime()).isNotNull();
            assertThat(api.getEndpoint(rw.name()).status().autoscalingLimitMaxCu()).isEqualTo(3.0);
            assertThat(call(mcp, "create_or_update_lakebase_branch", Map.of("project_name", "agent-app", "branch_id", "feature")))
                    .containsEntry("status", "NO_CHANGES");

            // credential for the endpoint, with the expiry the reference never returned
            Map<String, Object> cred = call(mcp, "generate_lakebase_credential", Map.of("endpoint", rw.name()));
            assertThat((String) cred.get("token")).isNotBlank();
            assertThat(cred).containsKey("expire_time").containsEntry("message", "Token generated. Valid for ~1 hour. Use as password with sslmode=require.");
            assertThat(call(mcp, "generate_lakebase_credential", Map.of()))
                    .containsEntry("error", "Provide either instance_names (provisioned) or endpoint (autoscale).");

            // get: project, branches, endpoints
            Map<String, Object> got = call(mcp, "get_lakebase_database", Map.of("name", "agent-app"));
            assertThat(got).containsEntry("name", "projects/agent-app").containsEntry("owner", "admin@oxbow.local").containsEntry("type", "autoscale");
            assertThat((List<?>) got.get("branches")).hasSize(2);
            assertThat(call(mcp, "get_lakebase_database", Map.of("name", "nope"))).containsEntry("error", "Database 'nope' not found.");
            assertThat(call(mcp, "manage_lakebase_database", Map.of("action", "list")).get("databases").toString()).contains("projects/agent-app");
            assertThat(call(mcp, "manage_lakebase_database", Map.of("action", "drop")))
                    .containsEntry("error", "Invalid action 'drop'. Valid actions: create_or_update, get, list, delete");
            assertThat(call(mcp, "manage_lakebase_branch", Map.of("action", "create_or_update", "project_name", "agent-app")))
                    .containsEntry("error", "create_or_update requires: project_name, branch_id");

            // sync: a real synced table from the catalog's Delta table into the feature branch, loaded before the tool answers
            Map<String, Object> sync = call(mcp, "create_or_update_lakebase_sync", Map.of("instance_name", "projects/agent-app/branches/feature",
                    "source_table_name", "lake.sales.orders", "target_table_name", "agent_pg.app.orders", "primary_key_columns", List.of("id"),
                    "scheduling_policy", "triggered"));
            assertThat(sync).containsEntry("created", true).doesNotContainKey("error");
            // ai-dev-kit's shape: the catalog it registered, then the synced table in it
            assertThat(sync.get("catalog")).isEqualTo(Map.of("name", "agent_pg", "instance_name", "projects/agent-app/branches/feature",
                    "database_name", "databricks_postgres", "status", "created",
                    "message", "Catalog 'agent_pg' registered for instance 'projects/agent-app/branches/feature', database 'databricks_postgres'."));
            assertThat(api.getCatalog("agent_pg").status().branch()).isEqualTo("projects/agent-app/branches/feature");
            @SuppressWarnings("unchecked") Map<String, Object> synced = (Map<String, Object>) sync.get("synced_table");
            assertThat(synced).containsEntry("name", "synced_tables/agent_pg.app.orders").containsEntry("table_name", "agent_pg.app.orders")
                    .containsEntry("target_table_name", "agent_pg.app.orders").containsKey("message").containsEntry("source_table_name", "lake.sales.orders")
                    .containsEntry("scheduling_policy", "TRIGGERED").containsEntry("branch", "projects/agent-app/branches/feature")
                    .containsEntry("database_name", "databricks_postgres").containsEntry("postgres_table", "\"app\".\"orders\"")
                    .containsEntry("status", "SYNCED_TABLE_ONLINE_NO_PENDING_UPDATE")
                    .containsEntry("last_processed_commit_version", (int) orders.version());
            SyncedTable table = api.getSyncedTable("agent_pg.app.orders");
            assertThat(table.spec().primaryKeyColumns()).containsExactly("id");
            assertThat(table.status().online()).isTrue();
            assertThat(table.status().lastProcessedCommitVersion()).isEqualTo(orders.version());
            assertThat(SyncFixtures.rows(server, rw.name(), "SELECT id, name, amount FROM app.orders ORDER BY id")).containsExactlyElementsOf(SyncFixtures.orderRows(0, 100));
            // again: nothing to create, and a different policy is pointed out (the API has no update)
            Map<String, Object> again = call(mcp, "manage_lakebase_sync", Map.of("action", "create_or_update", "instance_name", "agent-app",
                    "source_table_name", "lake.sales.orders", "target_table_name", "agent_pg.app.orders", "scheduling_policy", "SNAPSHOT"));
            assertThat(again).containsEntry("created", false);
            assertThat(again.get("catalog")).isEqualTo(Map.of("name", "agent_pg", "instance_name", "projects/agent-app/branches/feature",
                    "database_name", "databricks_postgres"));
            assertThat(again.get("synced_table").toString()).contains("scheduling_policy differ");
            // bad input: the API's reason (unknown catalog), or the tool's (no primary key), with isError and nothing created
            McpSchema.CallToolResult unknownCatalog = mcp.callTool(new McpSchema.CallToolRequest("create_or_update_lakebase_sync", Map.of(
                    "instance_name", "agent-app", "source_table_name", "nope.sales.orders", "target_table_name", "agent_pg.app.other",
                    "primary_key_columns", List.of("id"))));
            assertThat(unknownCatalog.isError()).isTrue();
            assertThat(structured(unknownCatalog).get("error").toString()).contains("Catalog 'nope' is not configured");
            McpSchema.CallToolResult noKey = mcp.callTool(new McpSchema.CallToolRequest("create_or_update_lakebase_sync", Map.of(
                    "instance_name", "agent-app", "source_table_name", "lake.sales.orders", "target_table_name", "agent_pg.app.other")));
            assertThat(noKey.isError()).isTrue();
            assertThat(structured(noKey).get("error").toString()).contains("primary_key_columns is required");
            assertThatThrownBy(() -> api.getSyncedTable("agent_pg.app.other")).isInstanceOf(OxbowException.NotFound.class);

            // a source catalog's name cannot be registered for Postgres: ai-dev-kit's error, nothing created
            Map<String, Object> deltaName = call(mcp, "manage_lakebase_sync", Map.of("action", "create_or_update", "instance_name", "agent-app",
                    "source_table_name", "lake.sales.orders", "target_table_name", "lake.app.orders", "primary_key_columns", List.of("id")));
            assertThat(deltaName.get("error").toString()).startsWith("Failed to create catalog 'lake': ");
            assertThatThrownBy(() -> api.getSyncedTable("lake.app.orders")).isInstanceOf(OxbowException.NotFound.class);

            Map<String, Object> unsync = call(mcp, "delete_lakebase_sync", Map.of("table_name", "agent_pg.app.orders", "catalog_name", "agent_pg"));
            assertThat(unsync.get("synced_table")).isEqualTo(Map.of("table_name", "agent_pg.app.orders", "status", "deleted", "postgres_table", "kept"));
            assertThat(unsync.get("catalog")).isEqualTo(Map.of("name", "agent_pg", "status", "deleted"));
            assertThatThrownBy(() -> api.getCatalog("agent_pg")).isInstanceOf(OxbowException.NotFound.class);
            assertThatThrownBy(() -> api.getSyncedTable("agent_pg.app.orders")).isInstanceOf(OxbowException.NotFound.class);
            assertThat(SyncFixtures.rows(server, rw.name(), "SELECT count(*) FROM app.orders")).as("without purge_data the Postgres table stays").containsExactly("100");
            assertThat(call(mcp, "manage_lakebase_sync", Map.of("action", "delete", "table_name", "agent_pg.app.orders", "catalog_name", "agent_pg")).toString())
                    .contains("table_name=agent_pg.app.orders, status=NOT_FOUND").contains("Catalog 'agent_pg' not found");

            // deletes, checked against the server
            assertThat(call(mcp, "delete_lakebase_branch", Map.of("name", "projects/agent-app/branches/feature"))).containsEntry("status", "deleted");
            assertThatThrownBy(() -> api.getBranch("projects/agent-app/branches/feature")).isInstanceOf(OxbowException.NotFound.class);
            assertThat(call(mcp, "delete_lakebase_branch", Map.of("name", "projects/agent-app/branches/feature"))).containsEntry("status", "NOT_FOUND");
            assertThat(call(mcp, "manage_lakebase_database", Map.of("action", "delete", "name", "agent-app", "type", "autoscale")))
                    .containsEntry("name", "projects/agent-app").containsEntry("status", "deleted");
            assertThatThrownBy(() -> api.getProject("projects/agent-app")).isInstanceOf(OxbowException.NotFound.class);
            assertThat(call(mcp, "delete_lakebase_database", Map.of("name", "agent-app", "type", "autoscale"))).containsEntry("status", "NOT_FOUND");
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> structured(McpSchema.CallToolResult r) {
        return (Map<String, Object>) r.structuredContent();
    }

    private static Map<String, Object> call(McpSyncClient mcp, String tool, Map<String, Object> args) {
        McpSchema.CallToolResult r = mcp.callTool(new McpSchema.CallToolRequest(tool, args));
        assertThat(r.isError()).as(tool + " " + r.content()).isNotEqualTo(Boolean.TRUE);
        return structured(r);
    }
}
