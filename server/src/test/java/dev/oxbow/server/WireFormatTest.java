package dev.oxbow.server;

import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/** The exact wire contract: status codes, error JSON, auth, probes, Go's zero values, encodings. */
@ExtendWith(SharedServer.class)
class WireFormatTest {
    static TestServer t;
    static final ObjectMapper json = new ObjectMapper();

    @BeforeAll
    static void start(TestServer shared) throws Exception {
        t = shared;
    }

    static JsonNode body(HttpResponse<String> r) throws Exception {
        return json.readTree(r.body());
    }

    static JsonNode waitDone(String opName) throws Exception {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        while (Instant.now().isBefore(deadline)) {
            JsonNode op = body(t.http("GET", "/api/2.0/postgres/" + opName, null));
            if (op.path("done").asBoolean()) {
                return op;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("operation " + opName + " not done");
    }

    @Test
    void everyApiRouteNeedsAToken() throws Exception {
        HttpResponse<String> r = t.http("GET", "/api/2.0/postgres/projects", null, null);
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(body(r).path("error_code").asText()).isEqualTo("UNAUTHENTICATED");
        assertThat(t.http("GET", "/api/2.0/preview/scim/v2/Me", null, "dapi-wrong").statusCode()).isEqualTo(401);
        assertThat(t.http("GET", "/healthz", null, null).statusCode()).isEqualTo(200);
    }

    @Test
    void startupProbesGetFast404Json() throws Exception {
        for (String probe : new String[]{"/.well-known/databricks-config", "/oidc/.well-known/oauth-authorization-server"}) {
            HttpResponse<String> r = t.http("GET", probe, null, null);
            assertThat(r.statusCode()).isEqualTo(404);
            assertThat(body(r).has("error_code")).isTrue();
        }
        HttpResponse<String> unknown = t.http("GET", "/api/2.0/nothing/here", null);
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(body(unknown).path("error_code").asText()).isEqualTo("ENDPOINT_NOT_FOUND");
    }

    @Test
    void scimMeDescribesTheCaller() throws Exception {
        JsonNode me = body(t.http("GET", "/api/2.0/preview/scim/v2/Me", null));
        assertThat(me.path("userName").asText()).isEqualTo("admin@oxbow.local");
        assertThat(me.path("active").asBoolean()).isTrue();
        assertThat(me.path("schemas").get(0).asText()).isEqualTo("urn:ietf:params:scim:schemas:core:2.0:User");
    }

    @Test
    void goZeroValuesMeanUnsetAndStringVersionsWork() throws Exception {
        HttpResponse<String> r = t.http("POST", "/api/2.0/postgres/projects?project_id=wire-go",
                "{\"spec\":{\"display_name\":\"\",\"pg_version\":\"16\",\"budget_policy_id\":\"\","
                        + "\"default_endpoint_settings\":{\"autoscaling_limit_min_cu\":0,\"autoscaling_limit_max_cu\":0}},"
                        + "\"initial_endpoint_spec\":{\"group\":{\"min\":0,\"max\":0}}}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode op = body(r);
        assertThat(op.path("name").asText()).startsWith("projects/wire-go/operations/");
        assertThat(op.path("metadata").path("@type").asText()).endsWith("ProjectOperationMetadata");
        JsonNode done = waitDone(op.path("name").asText());
        JsonNode status = done.path("response").path("status");
        assertThat(status.path("pg_version").asInt()).isEqualTo(16);
        assertThat(status.path("display_name").asText()).isEqualTo("wire-go");
        assertThat(status.path("history_retention_duration").asText()).isEqualTo("604800s");
        assertThat(status.path("default_endpoint_settings").path("autoscaling_limit_min_cu").asDouble()).isEqualTo(0.5);
        assertThat(status.path("branch_logical_size_limit_bytes").isNumber()).isTrue();
        assertThat(done.path("response").has("spec")).isFalse();
        assertThat(done.path("response").path("create_time").asText()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?Z");

        JsonNode get = body(t.http("GET", "/api/2.0/postgres/projects/wire-go", null));
        assertThat(get.has("spec")).isFalse();
        assertThat(get.path("status").path("owner").asText()).isEqualTo("admin@oxbow.local");

        // a delete's finished operation carries a non-null response
        JsonNode del = body(t.http("DELETE", "/api/2.0/postgres/projects/wire-go?purge=true", null));
        JsonNode delDone = waitDone(del.path("name").asText());
        assertThat(delDone.path("response").isObject()).isTrue();
        assertThat(delDone.has("error")).isFalse();
    }

    @Test
    void errorsHaveTheDatabricksShapeAndChangeNothing() throws Exception {
        HttpResponse<String> missingId = t.http("POST", "/api/2.0/postgres/projects", "{\"spec\":{}}");
        assertThat(missingId.statusCode()).isEqualTo(400);
        assertThat(body(missingId).path("error_code").asText()).isEqualTo("INVALID_PARAMETER_VALUE");
        assertThat(body(missingId).path("message").asText()).contains("Field 'project_id' is required");

        HttpResponse<String> badJson = t.http("POST", "/api/2.0/postgres/projects?project_id=wire-bad", "{not json");
        assertThat(badJson.statusCode()).isEqualTo(400);

        HttpResponse<String> badType = t.http("POST", "/api/2.0/postgres/projects?project_id=wire-bad", "{\"spec\":{\"display_name\":42}}");
        assertThat(badType.statusCode()).isEqualTo(400);
        assertThat(body(badType).path("message").asText()).contains("spec.display_name");

        HttpResponse<String> badSuspend = t.http("POST", "/api/2.0/postgres/projects?project_id=wire-bad",
                "{\"spec\":{\"default_endpoint_settings\":{\"suspend_timeout_duration\":\"30s\"}}}");
        assertThat(badSuspend.statusCode()).isEqualTo(400);
        assertThat(body(badSuspend).path("message").asText()).contains("60s");

        HttpResponse<String> both = t.http("POST", "/api/2.0/postgres/projects?project_id=wire-bad",
                "{\"spec\":{\"default_endpoint_settings\":{\"suspend_timeout_duration\":\"300s\",\"no_suspension\":true}}}");
        assertThat(both.statusCode()).isEqualTo(400);

        assertThat(t.http("GET", "/api/2.0/postgres/projects/wire-bad", null).statusCode()).isEqualTo(404);
        HttpResponse<String> unknownOp = t.http("GET", "/api/2.0/postgres/projects/x/operations/nope", null);
        assertThat(unknownOp.statusCode()).isEqualTo(404);
        assertThat(body(unknownOp).path("error_code").asText()).isEqualTo("NOT_FOUND");
    }

    @Test
    void paginationStopsWithAnEmptyToken() throws Exception {
        for (String id : new String[]{"wire-page-a", "wire-page-b", "wire-page-c"}) {
            waitDone(body(t.http("POST", "/api/2.0/postgres/projects?project_id=" + id, "{}")).path("name").asText());
        }
        int seen = 0;
        String token = null;
        int pages = 0;
        do {
            JsonNode page = body(t.http("GET", "/api/2.0/postgres/projects?page_size=2" + (token == null ? "" : "&page_token=" + token), null));
            for (JsonNode p : page.path("projects")) {
                if (p.path("name").asText().startsWith("projects/wire-page-")) {
                    seen++;
                }
            }
            token = page.path("next_page_token").asText(null);
            pages++;
        } while (token != null && !token.isEmpty() && pages < 100);
        assertThat(seen).isEqualTo(3);
        assertThat(pages).isGreaterThan(1);
        for (String id : new String[]{"wire-page-a", "wire-page-b", "wire-page-c"}) {
            waitDone(body(t.http("DELETE", "/api/2.0/postgres/projects/" + id + "?purge=true", null)).path("name").asText());
        }
    }
}
