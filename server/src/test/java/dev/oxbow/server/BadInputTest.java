package dev.oxbow.server;

import org.junit.jupiter.api.extension.RegisterExtension;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Malformed JSON, wrong types, huge numbers, negative durations, bad enum values and bad update_mask
 * paths on every resource, over raw HTTP: each is a 4xx with the error code api.md gives, never a 500
 * (issue 14). One test runs every case and reports all that answer wrongly at once.
 */
class BadInputTest {
    @RegisterExtension
    static final TestHomes homes = new TestHomes();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PG = "/api/2.0/postgres/";
    private static final String P = PG + "projects/bad";
    private static final String B = P + "/branches/production";
    private static final String EP = B + "/endpoints/primary";
    private static final String HUGE = "99999999999999999999999999";
    private static final String INVALID = "INVALID_PARAMETER_VALUE";

    static TestServer t;
    static String userToken;

    /** One request and the status and error_code it must get. */
    record Case(String method, String path, String body, int status, String code) {
        static Case invalid(String method, String path, String body) {
            return new Case(method, path, body, 400, INVALID);
        }
    }

    @BeforeAll
    static void start() throws Exception {
        t = TestServer.start(homes.newHome("bad-input"));
        var r = t.http("POST", PG + "projects?project_id=bad", "{}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        t.awaitOperation(JSON.readTree(r.body()).path("name").asText(), Duration.ofSeconds(120));
        userToken = t.userWithToken("ursula@example.com");
    }

    @AfterAll
    static void stop() {
        if (t != null) {
            t.close();
        }
    }

    @Test
    void badInputsAreClientErrorsWithApiCodesNeverInternalErrors() throws Exception {
        List<Case> cases = new ArrayList<>();
        // bodies that are not what a create takes
        for (String body : List.of("{not json", "[1,2]", "\"spec\"", "42", "{\"spec\":\"x\"}", "{\"spec\":[1]}")) {
            cases.add(Case.invalid("POST", PG + "projects?project_id=bad-body", body));
            cases.add(Case.invalid("POST", P + "/branches?branch_id=bad-body", body));
            cases.add(Case.invalid("POST", B + "/endpoints?endpoint_id=bad-body", body));
            cases.add(Case.invalid("POST", B + "/roles?role_id=bad-body", body));
            cases.add(Case.invalid("POST", B + "/databases?database_id=bad-body", body));
            cases.add(Case.invalid("PATCH", P + "?update_mask=spec.display_name", body));
            cases.add(Case.invalid("PATCH", EP + "?update_mask=spec.disabled", body));
            cases.add(Case.invalid("POST", PG + "synced_tables?synced_table_id=c.s.t", body));
        }
        cases.add(Case.invalid("POST", PG + "credentials", "{not json"));
        cases.add(Case.invalid("POST", PG + "credentials", "[1]"));
        // projects: wrong types, huge numbers, negative durations
        String project = PG + "projects?project_id=bad-two";
        cases.add(Case.invalid("POST", project, "{\"spec\":{\"display_name\":5}}"));
        cases.add(Case.invalid("POST", project, "{\"spec\":{\"pg_version\":\"abc\"}}"));
        cases.add(Case.invalid("POST", project, "{\"spec\":{\"pg_version\":" + HUGE + "}}"));
        cases.add(Case.invalid("POST", project, "{\"spec\":{\"pg_version\":4294967312}}"));
        cases.add(Case.invalid("POST", project, "{\"spec\":{\"pg_version\":16.5}}"));
        cases.add(Case.invalid("POST", project, "{\"spec\":{\"history_retention_duration\":\"" + HUGE + "s\"}}"));
        cases.add(Case.invalid("POST", project, "{\"spec\":{\"history_retention_duration\":\"-5s\"}}"));
        cases.add(Case.invalid("POST", project, "{\"spec\":{\"history_retention_duration\":604800}}"));
        cases.add(Case.invalid("POST", project, "{\"spec\":{\"default_endpoint_settings\":{\"autoscaling_limit_max_cu\":1e308}}}"));
        cases.add(Case.invalid("POST", project, "{\"spec\":{\"default_endpoint_settings\":{\"autoscaling_limit_max_cu\":-4}}}"));
        cases.add(Case.invalid("POST", project, "{\"spec\":{\"default_endpoint_settings\":{\"autoscaling_limit_min_cu\":\"lots\"}}}"));
        cases.add(Case.invalid("POST", project, "{\"spec\":{\"default_endpoint_settings\":{\"suspend_timeout_duration\":\"-1s\"}}}"));
        cases.add(Case.invalid("POST", project, "{\"spec\":{\"default_endpoint_settings\":{\"suspend_timeout_duration\":\"" + HUGE + "s\"}}}"));
        cases.add(Case.invalid("POST", project, "{\"spec\":{\"default_endpoint_settings\":{\"pg_settings\":{\"work_mem\":{}}}}}"));
        cases.add(Case.invalid("POST", project, "{\"spec\":{\"default_endpoint_settings\":{\"pg_settings\":[1]}}}"));
        cases.add(Case.invalid("POST", project, "{\"spec\":{\"custom_tags\":[1,2]}}"));
        cases.add(Case.invalid("POST", project, "{\"spec\":{\"custom_tags\":{\"a\":\"b\"}}}"));
        cases.add(Case.invalid("POST", project, "{\"spec\":{\"custom_tags\":[{\"key\":\"a\",\"value\":5}]}}"));
        cases.add(Case.invalid("POST", project, "{\"spec\":{\"enable_pg_native_login\":\"yes\"}}"));
        cases.add(Case.invalid("POST", PG + "projects?project_id=Bad_Id!", "{}"));
        cases.add(Case.invalid("POST", PG + "projects?project_id=" + "a".repeat(300), "{}"));
        cases.add(Case.invalid("GET", PG + "projects?page_size=abc", null));
        cases.add(Case.invalid("GET", PG + "projects?page_size=" + HUGE, null));
        cases.add(Case.invalid("GET", PG + "projects?page_size=-1", null));
        cases.add(Case.invalid("GET", PG + "projects?page_token=nope", null));
        cases.add(Case.invalid("GET", PG + "projects?show_deleted=maybe", null));
        cases.add(Case.invalid("PATCH", P + "?update_mask=spec.nope", "{\"spec\":{}}"));
        cases.add(Case.invalid("PATCH", P + "?update_mask=", "{\"spec\":{}}"));
        cases.add(Case.invalid("PATCH", P + "?update_mask=spec.history_retention_duration", "{\"spec\":{\"history_retention_duration\":\"-1s\"}}"));
        cases.add(Case.invalid("DELETE", P + "?purge=perhaps", null));
        // branches
        String branch = P + "/branches?branch_id=bad-branch";
        cases.add(Case.invalid("POST", branch, "{\"spec\":{\"source_branch_time\":\"yesterday\"}}"));
        cases.add(Case.invalid("POST", branch, "{\"spec\":{\"source_branch_time\":\"+999999999-12-31T23:59:59Z\"}}"));
        cases.add(Case.invalid("POST", branch, "{\"spec\":{\"source_branch_time\":12345}}"));
        cases.add(Case.invalid("POST", branch, "{\"spec\":{\"source_branch_lsn\":\"ZZ/1\"}}"));
        cases.add(Case.invalid("POST", branch, "{\"spec\":{\"source_branch_lsn\":\"FFFFFFFFFFFFFFFFFF/0\"}}"));
        cases.add(Case.invalid("POST", branch, "{\"spec\":{\"ttl\":\"-100s\"}}"));
        cases.add(Case.invalid("POST", branch, "{\"spec\":{\"ttl\":\"" + HUGE + "s\"}}"));
        cases.add(Case.invalid("POST", branch, "{\"spec\":{\"ttl\":\"9223372036854775807s\"}}"));
        cases.add(Case.invalid("POST", branch, "{\"spec\":{\"expire_time\":\"+999999999-12-31T23:59:59Z\"}}"));
        cases.add(Case.invalid("POST", branch, "{\"spec\":{\"expire_time\":\"1970-01-01T00:00:00Z\"}}"));
        cases.add(Case.invalid("POST", branch, "{\"spec\":{\"is_protected\":\"true\"}}"));
        cases.add(Case.invalid("POST", branch, "{\"spec\":{\"no_expiry\":1}}"));
        cases.add(Case.invalid("PATCH", B + "?update_mask=spec.nope", "{\"spec\":{}}"));
        cases.add(Case.invalid("PATCH", B + "?update_mask=spec.expiration", "{\"spec\":{\"ttl\":\"" + HUGE + "s\"}}"));
        cases.add(Case.invalid("POST", B + ":restore", "{\"source_branch_time\":\"never\"}"));
        cases.add(Case.invalid("POST", B + ":restore", "{not json"));
        // endpoints
        String endpoint = B + "/endpoints?endpoint_id=bad-endpoint";
        cases.add(Case.invalid("POST", endpoint, "{\"spec\":{\"endpoint_type\":\"ENDPOINT_TYPE_BOGUS\"}}"));
        cases.add(Case.invalid("POST", endpoint, "{\"spec\":{\"endpoint_type\":7}}"));
        cases.add(Case.invalid("POST", endpoint, "{\"spec\":{\"endpoint_type\":\"ENDPOINT_TYPE_READ_ONLY\",\"autoscaling_limit_max_cu\":" + HUGE + "}}"));
        cases.add(Case.invalid("POST", endpoint, "{\"spec\":{\"endpoint_type\":\"ENDPOINT_TYPE_READ_ONLY\",\"autoscaling_limit_min_cu\":-1}}"));
        cases.add(Case.invalid("POST", endpoint, "{\"spec\":{\"endpoint_type\":\"ENDPOINT_TYPE_READ_ONLY\",\"suspend_timeout_duration\":\"-60s\"}}"));
        cases.add(Case.invalid("POST", endpoint, "{\"spec\":{\"endpoint_type\":\"ENDPOINT_TYPE_READ_ONLY\",\"suspend_timeout_duration\":\"1e5s\"}}"));
        cases.add(Case.invalid("POST", endpoint, "{\"spec\":{\"endpoint_type\":\"ENDPOINT_TYPE_READ_ONLY\",\"group\":{\"min\":\"x\"}}}"));
        cases.add(Case.invalid("POST", endpoint, "{\"spec\":{\"endpoint_type\":\"ENDPOINT_TYPE_READ_ONLY\",\"group\":{\"min\":1e20,\"max\":1e20}}}"));
        cases.add(Case.invalid("POST", endpoint, "{\"spec\":{\"endpoint_type\":\"ENDPOINT_TYPE_READ_ONLY\",\"group\":{\"min\":-3,\"max\":-3}}}"));
        cases.add(Case.invalid("POST", endpoint, "{\"spec\":{\"endpoint_type\":\"ENDPOINT_TYPE_READ_ONLY\",\"settings\":[1]}}"));
        cases.add(Case.invalid("POST", endpoint, "{\"spec\":{\"endpoint_type\":\"ENDPOINT_TYPE_READ_ONLY\",\"settings\":{\"pg_settings\":{\"work_mem\":null}}}}"));
        cases.add(Case.invalid("POST", endpoint, "{\"spec\":{\"endpoint_type\":\"ENDPOINT_TYPE_READ_ONLY\",\"settings\":{\"pg_settings\":{\"work_mem\":\"" + HUGE + "TB\"}}}}"));
        cases.add(Case.invalid("PATCH", EP + "?update_mask=spec.nope", "{\"spec\":{}}"));
        cases.add(Case.invalid("PATCH", EP + "?update_mask=spec.autoscaling_limit_min_cu", "{\"spec\":{}}"));
        cases.add(Case.invalid("PATCH", EP + "?update_mask=spec.autoscaling_limit_max_cu", "{\"spec\":{\"autoscaling_limit_max_cu\":" + HUGE + "}}"));
        cases.add(Case.invalid("PATCH", EP + "?update_mask=spec.suspension", "{\"spec\":{\"suspend_timeout_duration\":\"" + HUGE + "s\"}}"));
        cases.add(Case.invalid("PATCH", EP + "?update_mask=spec.endpoint_type", "{\"spec\":{\"endpoint_type\":\"ENDPOINT_TYPE_READ_ONLY\"}}"));
        // roles and databases
        String role = B + "/roles?role_id=bad-role";
        cases.add(Case.invalid("POST", role, "{\"spec\":{\"postgres_role\":5}}"));
        cases.add(Case.invalid("POST", role, "{\"spec\":{\"postgres_role\":\"r\",\"membership_roles\":\"DATABRICKS_SUPERUSER\"}}"));
        cases.add(Case.invalid("POST", role, "{\"spec\":{\"postgres_role\":\"r\",\"membership_roles\":[\"SUPERUSER\"]}}"));
        cases.add(Case.invalid("POST", role, "{\"spec\":{\"postgres_role\":\"r\",\"attributes\":\"all\"}}"));
        cases.add(Case.invalid("POST", role, "{\"spec\":{\"postgres_role\":\"r\",\"identity_type\":\"ALIEN\"}}"));
        cases.add(Case.invalid("POST", role, "{\"spec\":{\"postgres_role\":\"r\",\"auth_method\":\"TELEPATHY\"}}"));
        cases.add(Case.invalid("POST", role, "{\"spec\":{\"postgres_role\":\"" + "r".repeat(200) + "\"}}"));
        cases.add(Case.invalid("POST", B + "/roles?role_id=Bad%20Role!", "{\"spec\":{\"postgres_role\":\"r\"}}"));
        cases.add(Case.invalid("POST", B + "/databases?database_id=Bad_DB!", "{\"spec\":{\"postgres_database\":\"d\"}}"));
        cases.add(Case.invalid("POST", B + "/databases?database_id=bad-db", "{\"spec\":{\"postgres_database\":7}}"));
        cases.add(Case.invalid("POST", B + "/databases?database_id=bad-db", "{\"spec\":{\"postgres_database\":\"" + "d".repeat(200) + "\"}}"));
        cases.add(Case.invalid("PATCH", B + "/databases/databricks-postgres?update_mask=spec.nope", "{\"spec\":{}}"));
        cases.add(Case.invalid("GET", B + "/roles?page_size=x", null));
        // credentials
        cases.add(Case.invalid("POST", PG + "credentials", "{\"endpoint\":5}"));
        cases.add(Case.invalid("POST", PG + "credentials", "{\"endpoint\":\"" + EP.substring(PG.length()) + "\",\"ttl\":\"-5s\"}"));
        cases.add(Case.invalid("POST", PG + "credentials", "{\"endpoint\":\"" + EP.substring(PG.length()) + "\",\"ttl\":\"" + HUGE + "s\"}"));
        cases.add(Case.invalid("POST", PG + "credentials", "{\"endpoint\":\"" + EP.substring(PG.length()) + "\",\"ttl\":\"9223372036854775807s\"}"));
        cases.add(Case.invalid("POST", PG + "credentials", "{\"endpoint\":\"" + EP.substring(PG.length()) + "\",\"expire_time\":\"soon\"}"));
        cases.add(Case.invalid("POST", PG + "credentials", "{\"endpoint\":\"" + EP.substring(PG.length()) + "\",\"expire_time\":\"+999999999-12-31T23:59:59Z\"}"));
        // synced tables
        cases.add(Case.invalid("POST", PG + "synced_tables?synced_table_id=c.s.t", "{\"spec\":{\"primary_key_columns\":\"id\"}}"));
        cases.add(Case.invalid("POST", PG + "synced_tables?synced_table_id=c.s.t", "{\"spec\":{\"scheduling_policy\":\"SOMETIMES\",\"source_table_full_name\":\"a.b.c\",\"primary_key_columns\":[\"id\"],\"branch\":\"" + B.substring(PG.length()) + "\",\"postgres_database\":\"databricks_postgres\"}}"));
        // tokens
        for (String lifetime : List.of("\"abc\"", "\"\"", "true", "1.5", "-1", HUGE, "9223372036854775807", "{}", "[]")) {
            cases.add(Case.invalid("POST", "/api/2.0/token/create", "{\"lifetime_seconds\":" + lifetime + "}"));
            cases.add(Case.invalid("POST", "/api/2.0/token-management/on-behalf-of/tokens",
                    "{\"user_name\":\"ursula@example.com\",\"lifetime_seconds\":" + lifetime + "}"));
        }
        cases.add(Case.invalid("POST", "/api/2.0/token/create", "{not json"));
        cases.add(Case.invalid("POST", "/api/2.0/token/create", "{\"comment\":{}}"));
        cases.add(Case.invalid("POST", "/api/2.0/token/delete", "{not json"));
        cases.add(Case.invalid("POST", "/api/2.0/token/delete", "{\"token_id\":[1]}"));
        cases.add(new Case("POST", "/api/2.0/token/delete", "{\"token_id\":\"no-such-token\"}", 404, "NOT_FOUND"));
        // identities (admin)
        cases.add(Case.invalid("POST", "/api/2.0/preview/scim/v2/Users", "{not json"));
        cases.add(Case.invalid("POST", "/api/2.0/preview/scim/v2/Users", "{}"));
        cases.add(Case.invalid("POST", "/api/2.0/preview/scim/v2/Users", "{\"userName\":{}}"));
        cases.add(Case.invalid("POST", "/api/2.0/preview/scim/v2/Users", "{\"userName\":\"x@example.com\",\"active\":\"no\"}"));
        cases.add(Case.invalid("PATCH", "/api/2.0/preview/scim/v2/Groups/none", "{\"Operations\":[{\"op\":\"remove\",\"path\":\"members[value eq \\\"\"}]}"));
        cases.add(Case.invalid("POST", "/api/2.0/preview/scim/v2/Groups", "{\"displayName\":\"g\",\"members\":\"all\"}"));
        cases.add(Case.invalid("POST", "/api/2.0/preview/scim/v2/ServicePrincipals", "{not json"));
        cases.add(Case.invalid("PATCH", "/api/2.0/permissions/database-projects/bad", "{\"access_control_list\":[{\"user_name\":\"ursula@example.com\",\"permission_level\":\"CAN_OWN\"}]}"));
        cases.add(Case.invalid("PATCH", "/api/2.0/permissions/database-projects/bad", "{\"access_control_list\":\"everyone\"}"));
        cases.add(Case.invalid("PATCH", "/api/2.0/permissions/database-projects/bad", "{not json"));
        cases.add(Case.invalid("GET", "/api/2.0/oxbow/audit-events?page_size=abc", null));
        cases.add(Case.invalid("GET", "/api/2.0/oxbow/audit-events?page_token=" + HUGE, null));

        List<String> wrong = new ArrayList<>();
        for (Case c : cases) {
            HttpResponse<String> r = t.http(c.method(), c.path(), c.body());
            check(c, r, wrong);
        }
        // an ordinary user's own token: same answers
        HttpResponse<String> r = t.http("POST", "/api/2.0/token/create", "{\"lifetime_seconds\":\"abc\"}", userToken);
        check(Case.invalid("POST", "/api/2.0/token/create", "{\"lifetime_seconds\":\"abc\"}"), r, wrong);
        assertThat(wrong).as(wrong.size() + " of " + cases.size() + " bad inputs answered wrongly").isEmpty();
    }

    @Test
    void aTokenLifetimeIsHonouredWhenItIsANumber() throws Exception {
        var r = t.http("POST", "/api/2.0/token/create", "{\"lifetime_seconds\":\"3600\",\"comment\":\"string number\"}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode info = JSON.readTree(r.body()).path("token_info");
        assertThat(info.path("expiry_time").asLong() - info.path("creation_time").asLong()).isEqualTo(3_600_000L);
        var forever = t.http("POST", "/api/2.0/token/create", "{\"comment\":\"no lifetime\"}");
        assertThat(JSON.readTree(forever.body()).path("token_info").path("expiry_time").asLong()).isEqualTo(-1);
    }

    private static void check(Case c, HttpResponse<String> r, List<String> wrong) {
        String code = "";
        try {
            code = JSON.readTree(r.body()).path("error_code").asText();
        } catch (Exception notJson) {
            code = "(not JSON)";
        }
        if (r.statusCode() != c.status() || !c.code().equals(code)) {
            wrong.add(c.method() + " " + abbreviate(c.path()) + " " + abbreviate(String.valueOf(c.body())) + " -> " + r.statusCode()
                    + " " + abbreviate(r.body()));
        }
    }

    private static String abbreviate(String s) {
        return s.length() > 160 ? s.substring(0, 160) + "…" : s;
    }
}
