package dev.oxbow.server;

import dev.oxbow.metadata.EndpointState;
import org.junit.jupiter.api.extension.ExtendWith;

import com.databricks.sdk.WorkspaceClient;
import com.databricks.sdk.service.postgres.*;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;

import static org.assertj.core.api.Assertions.assertThat;

/** The console's static files and Oxbow extension endpoints (history, SQL, suspend, operations log) over real HTTP. */
@ExtendWith(SharedServer.class)
class ConsoleApiTest {
    private static final String P = "projects/console-api";
    private static final String PROD_EP = P + "/branches/production/endpoints/primary";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static TestServer t;

    @BeforeAll
    static void start(TestServer shared) throws Exception {
        t = shared;
        WorkspaceClient w = t.sdk();
        w.postgres().createProject(new CreateProjectRequest().setProjectId("console-api").setProject(new Project())).waitForCompletion();
    }

    private static JsonNode json(HttpResponse<String> r) throws Exception {
        return JSON.readTree(r.body());
    }

    @Test
    void servesTheConsoleAtRootAndKeepsApiErrorsJson() throws Exception {
        HttpResponse<String> index = t.http("GET", "/", null, null);
        assertThat(index.statusCode()).isEqualTo(200);
        assertThat(index.headers().firstValue("Content-Type").orElse("")).startsWith("text/html");
        assertThat(index.body()).contains("<title>Oxbow console</title>");
        HttpResponse<String> js = t.http("GET", "/console.js", null, null);
        assertThat(js.statusCode()).isEqualTo(200);
        assertThat(js.body()).contains("Authorization");
        assertThat(t.http("GET", "/no-such-file.js", null, null).statusCode()).isEqualTo(404);
        HttpResponse<String> unknown = t.http("GET", "/api/2.0/postgres/nothing-here", null);
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(json(unknown).path("error_code").asText()).isEqualTo("ENDPOINT_NOT_FOUND");
        assertThat(t.http("GET", "/api/2.0/oxbow/connection-info", null, null).statusCode()).isEqualTo(401);
        JsonNode info = json(t.http("GET", "/api/2.0/oxbow/connection-info", null));
        assertThat(info.path("pg_port").asInt()).isEqualTo(t.server().pgPort());
        assertThat(info.path("user_name").asText()).isEqualTo("admin@oxbow.local");
        assertThat(info.path("ca_certificate").asText()).endsWith("ca.crt");
    }

    @Test
    void historyHasSamplesByUidAndByName() throws Exception {
        t.server().controlPlane().history().sample();
        String uid = t.server().controlPlane().store().endpoints().get(PROD_EP).orElseThrow().uid();
        JsonNode byUid = json(t.http("GET", "/api/2.0/oxbow/endpoints/" + uid + "/history", null));
        assertThat(byUid.path("endpoint").asText()).isEqualTo(PROD_EP);
        JsonNode last = byUid.path("samples").get(byUid.path("samples").size() - 1);
        assertThat(last.path("state").asText()).isEqualTo("ACTIVE");
        assertThat(last.path("cu").asDouble()).isPositive();
        assertThat(last.has("connections")).isTrue();
        assertThat(last.path("time").asText()).endsWith("Z");
        JsonNode byName = json(t.http("GET", "/api/2.0/oxbow/endpoints/" + PROD_EP + "/history", null));
        assertThat(byName.path("uid").asText()).isEqualTo(uid);
        assertThat(byName.path("samples").size()).isPositive();
        HttpResponse<String> missing = t.http("GET", "/api/2.0/oxbow/endpoints/no-such-uid/history", null);
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(json(missing).path("error_code").asText()).isEqualTo("NOT_FOUND");
    }

    @Test
    void sqlRunsAsTheCallersRoleWithRowCapAndPostgresErrors() throws Exception {
        JsonNode r = json(t.http("POST", "/api/2.0/oxbow/sql",
                "{\"endpoint\":\"" + PROD_EP + "\",\"query\":\"SELECT current_user AS who, 40 + 2 AS answer, NULL::text AS nothing\"}"));
        assertThat(r.path("columns").get(1).path("name").asText()).isEqualTo("answer");
        assertThat(r.path("columns").get(1).path("type").asText()).isEqualTo("int4");
        assertThat(r.path("rows").get(0).get(0).asText()).isEqualTo("admin@oxbow.local");
        assertThat(r.path("rows").get(0).get(1).asText()).isEqualTo("42");
        assertThat(r.path("rows").get(0).get(2).isNull()).isTrue();
        assertThat(r.path("truncated").asBoolean()).isFalse();

        JsonNode many = json(t.http("POST", "/api/2.0/oxbow/sql", "{\"endpoint\":\"" + PROD_EP + "\",\"query\":\"SELECT generate_series(1, 1500)\"}"));
        assertThat(many.path("rows").size()).isEqualTo(1000);
        assertThat(many.path("truncated").asBoolean()).isTrue();

        JsonNode ddl = json(t.http("POST", "/api/2.0/oxbow/sql", "{\"endpoint\":\"" + PROD_EP + "\",\"database\":\"databricks_postgres\","
                + "\"query\":\"CREATE TABLE console_t (x int); INSERT INTO console_t VALUES (1), (2)\"}"));
        assertThat(ddl.path("update_count").asLong()).isEqualTo(2);
        assertThat(Sql.column(t, PROD_EP, "databricks_postgres", "SELECT count(*) FROM console_t")).containsExactly("2");

        HttpResponse<String> bad = t.http("POST", "/api/2.0/oxbow/sql", "{\"endpoint\":\"" + PROD_EP + "\",\"query\":\"SELECT * FROM no_such_table\"}");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(json(bad).path("message").asText()).isEqualTo("relation \"no_such_table\" does not exist");
        assertThat(json(bad).path("details").get(0).path("metadata").path("sqlstate").asText()).isEqualTo("42P01");

        HttpResponse<String> slow = t.http("POST", "/api/2.0/oxbow/sql", "{\"endpoint\":\"" + PROD_EP + "\",\"query\":\"SET statement_timeout = '100ms'; SELECT pg_sleep(5)\"}");
        assertThat(slow.statusCode()).isEqualTo(400);
        assertThat(json(slow).path("message").asText()).contains("statement timeout");

        HttpResponse<String> noQuery = t.http("POST", "/api/2.0/oxbow/sql", "{\"endpoint\":\"" + PROD_EP + "\"}");
        assertThat(noQuery.statusCode()).isEqualTo(400);
        assertThat(json(noQuery).path("error_code").asText()).isEqualTo("INVALID_PARAMETER_VALUE");
        assertThat(t.http("POST", "/api/2.0/oxbow/sql", "{\"endpoint\":\"" + P + "/branches/production/endpoints/nope\",\"query\":\"SELECT 1\"}")
                .statusCode()).isEqualTo(404);
        assertThat(t.http("POST", "/api/2.0/oxbow/sql", "not json").statusCode()).isEqualTo(400);
    }

    @Test
    void suspendOnRequestAndWakeBySql() throws Exception {
        WorkspaceClient w = t.sdk();
        w.postgres().createBranch(new CreateBranchRequest().setParent(P).setBranchId("suspend-me")
                .setBranch(new Branch().setSpec(new BranchSpec().setNoExpiry(true)))).waitForCompletion();
        String ep = P + "/branches/suspend-me/endpoints/primary";

        JsonNode idle = json(t.http("POST", "/api/2.0/oxbow/endpoints/" + ep + ":suspend", null));
        assertThat(idle.path("status").path("current_state").asText()).isEqualTo("IDLE");
        // the branch's first snapshot, queued right behind its create, may hold the server a moment longer
        var computes = t.server().controlPlane().computes();
        var endpoint = t.server().controlPlane().store().endpoints().get(ep).orElseThrow();
        long deadline = System.nanoTime() + java.time.Duration.ofSeconds(60).toNanos();
        while (computes.running(endpoint) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(computes.running(endpoint)).as("the suspended compute's server stopped").isFalse();
        HttpResponse<String> again = t.http("POST", "/api/2.0/oxbow/endpoints/" + ep + ":suspend", null);
        assertThat(again.statusCode()).isEqualTo(400);
        assertThat(json(again).path("error_code").asText()).isEqualTo("INVALID_STATE");

        // the SQL editor wakes it like a client connection does
        JsonNode r = json(t.http("POST", "/api/2.0/oxbow/sql", "{\"endpoint\":\"" + ep + "\",\"query\":\"SELECT 1\"}"));
        assertThat(r.path("rows").get(0).get(0).asText()).isEqualTo("1");
        assertThat(t.server().controlPlane().store().endpoints().get(ep).orElseThrow().state()).isEqualTo(EndpointState.ACTIVE);

        HttpResponse<String> alwaysOn = t.http("POST", "/api/2.0/oxbow/endpoints/" + PROD_EP + ":suspend", null);
        assertThat(alwaysOn.statusCode()).isEqualTo(400);
        assertThat(json(alwaysOn).path("message").asText()).contains("no_suspension");
    }

    @Test
    void operationsLogListsTheProjectsOperations() throws Exception {
        JsonNode ops = json(t.http("GET", "/api/2.0/oxbow/projects/console-api/operations?page_size=100", null));
        assertThat(ops.path("operations").size()).isPositive();
        assertThat(ops.path("operations").findValuesAsText("resource")).contains(P);
        JsonNode first = ops.path("operations").get(ops.path("operations").size() - 1);
        assertThat(first.path("done").asBoolean()).isTrue();
        assertThat(first.path("kind").asText()).isNotEmpty();
        assertThat(first.has("response")).isFalse();
        assertThat(t.http("GET", "/api/2.0/oxbow/projects/no-such-project/operations", null).statusCode()).isEqualTo(404);
    }
}
