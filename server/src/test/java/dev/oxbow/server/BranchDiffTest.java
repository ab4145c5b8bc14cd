package dev.oxbow.server;

import com.databricks.sdk.WorkspaceClient;
import com.databricks.sdk.service.postgres.Branch;
import com.databricks.sdk.service.postgres.BranchSpec;
import com.databricks.sdk.service.postgres.CreateBranchRequest;
import com.databricks.sdk.service.postgres.CreateProjectRequest;
import com.databricks.sdk.service.postgres.Project;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Branch diff against real computes: a branch that changed its schema (column, index, function, view, role, grant)
 * and a few rows of a 12,000-row table is reported with exactly those changes; a fresh twin is identical; tables
 * without a key are reported as such; strangers are refused; odd names and key values are only data.
 */
@ExtendWith(SharedServer.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BranchDiffTest {
    private static final String P = "projects/branch-diff";
    private static final String PROD_EP = P + "/branches/production/endpoints/primary";
    private static final String DEV_EP = P + "/branches/dev/endpoints/primary";
    private static final String DB = "databricks_postgres";
    /** A table name and key values that would be SQL if anything pasted them into a statement unquoted. */
    private static final String ODD_TABLE = "odd\"; DROP TABLE big; --";
    private static final ObjectMapper JSON = new ObjectMapper();
    private TestServer t;

    @BeforeAll
    void start(TestServer shared) throws Exception {
        t = shared;
        WorkspaceClient w = t.sdk();
        w.postgres().createProject(new CreateProjectRequest().setProjectId("branch-diff").setProject(new Project())).waitForCompletion();
        Sql.exec(t, PROD_EP, DB, """
                CREATE TABLE big (id int PRIMARY KEY, v text NOT NULL, n int);
                INSERT INTO big SELECT i, 'value ' || i, i % 97 FROM generate_series(1, 12000) i;
                CREATE TABLE nokey (a int, b text);
                INSERT INTO nokey VALUES (1, 'one'), (2, 'two');
                CREATE TABLE "odd""; DROP TABLE big; --" (k text PRIMARY KEY, "col""x" int);
                INSERT INTO "odd""; DROP TABLE big; --" SELECT 'k'' ' || i || '); DROP TABLE big; --', i FROM generate_series(1, 600) i;
                """);
        for (String id : List.of("dev", "twin")) {
            w.postgres().createBranch(new CreateBranchRequest().setParent(P).setBranchId(id)
                    .setBranch(new Branch().setSpec(new BranchSpec().setSourceBranch(P + "/branches/production").setNoExpiry(true)))).waitForCompletion();
        }
        Sql.exec(t, DEV_EP, DB, """
                ALTER TABLE big ADD COLUMN note text;
                CREATE INDEX big_n_idx ON big (n);
                CREATE FUNCTION public.double_it(x int) RETURNS int LANGUAGE sql AS 'SELECT x * 2';
                CREATE VIEW public.big_view AS SELECT id, v FROM big;
                CREATE ROLE diff_reader NOLOGIN;
                GRANT SELECT ON big TO diff_reader;
                INSERT INTO big (id, v, n) VALUES (20001, 'new one', 1), (20002, 'new two', 2);
                UPDATE big SET v = 'changed' WHERE id IN (5, 6000, 11999);
                DELETE FROM big WHERE id IN (7, 9000);
                UPDATE nokey SET b = 'changed' WHERE a = 1;
                UPDATE "odd""; DROP TABLE big; --" SET "col""x" = -1 WHERE k = 'k'' 300); DROP TABLE big; --';
                """);
    }

    private JsonNode diff(String branch, String query, int status) throws Exception {
        return diff(branch, query, status, t.token());
    }

    private JsonNode diff(String branch, String query, int status, String token) throws Exception {
        HttpResponse<String> r = t.http("GET", "/api/2.0/oxbow/" + P + "/branches/" + branch + ":diff?" + query, null, token);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        return JSON.readTree(r.body());
    }

    private static List<String> changes(JsonNode d) {
        List<String> out = new ArrayList<>();
        d.path("schema").path("changes").forEach(c -> out.add(c.path("change").asText() + " " + c.path("kind").asText() + " " + c.path("object").asText()));
        return out;
    }

    private static JsonNode table(JsonNode d, String name) {
        for (JsonNode tbl : d.path("data").path("tables")) {
            if (tbl.path("table").asText().equals(name)) {
                return tbl;
            }
        }
        throw new AssertionError("no table " + name + " in " + d.path("data"));
    }

    @Test
    void reportsExactlyTheSchemaAndRowChangesOfTheBranch() throws Exception {
        JsonNode d = diff("dev", "against=production", 200);
        assertThat(d.path("branch").asText()).isEqualTo(P + "/branches/dev");
        assertThat(d.path("against").asText()).isEqualTo(P + "/branches/production");
        assertThat(d.path("identical").asBoolean()).isFalse();
        assertThat(changes(d)).containsExactly(
                "ADDED ROLE diff_reader",
                "ADDED COLUMN public.big.note",
                "ADDED INDEX public.big_n_idx",
                "ADDED FUNCTION public.double_it(x integer)",
                "ADDED VIEW public.big_view",
                "ADDED GRANT SELECT on public.big to diff_reader");
        List<String> script = new ArrayList<>();
        d.path("schema").path("statements").forEach(s -> script.add(s.asText()));
        assertThat(script).hasSize(6);
        assertThat(script.get(0)).isEqualTo("CREATE ROLE \"diff_reader\" NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB NOLOGIN NOREPLICATION NOBYPASSRLS");
        assertThat(script.get(1)).isEqualTo("ALTER TABLE \"public\".\"big\" ADD COLUMN \"note\" text");
        assertThat(script.get(2)).isEqualTo("CREATE INDEX big_n_idx ON public.big USING btree (n)");
        assertThat(script.get(3)).startsWith("CREATE OR REPLACE FUNCTION public.double_it(x integer)");
        assertThat(script.get(4)).startsWith("CREATE OR REPLACE VIEW \"public\".\"big_view\" AS");
        assertThat(script.get(5)).isEqualTo("GRANT SELECT ON TABLE \"public\".\"big\" TO \"diff_reader\"");

        JsonNode big = table(d, "public.big");
        assertThat(big.path("rows_added").asLong()).isEqualTo(2);
        assertThat(big.path("rows_removed").asLong()).isEqualTo(2);
        assertThat(big.path("rows_changed").asLong()).isEqualTo(3);
        List<String> examples = new ArrayList<>();
        big.path("examples").forEach(e -> examples.add(e.path("change").asText() + " " + e.path("key").path("id").asText()));
        assertThat(examples).containsExactly("ADDED 20001", "ADDED 20002", "REMOVED 7", "REMOVED 9000", "CHANGED 5", "CHANGED 6000", "CHANGED 11999");
        JsonNode changed = big.path("examples").get(4);
        assertThat(changed.path("branch_row").path("v").asText()).isEqualTo("changed");
        assertThat(changed.path("against_row").path("v").asText()).isEqualTo("value 5");
        assertThat(big.path("examples").get(0).path("against_row").isNull()).isTrue();
        assertThat(big.path("examples").get(2).path("branch_row").isNull()).isTrue();

        // the odd table: its name and its keys travel as data, and the one changed row is found among 600
        JsonNode odd = table(d, "public." + ODD_TABLE);
        assertThat(odd.path("rows_changed").asLong()).isEqualTo(1);
        assertThat(odd.path("rows_added").asLong() + odd.path("rows_removed").asLong()).isZero();
        assertThat(odd.path("examples").get(0).path("key").path("k").asText()).isEqualTo("k' 300); DROP TABLE big; --");
        assertThat(odd.path("examples").get(0).path("branch_row").path("col\"x").asInt()).isEqualTo(-1);

        assertThat(d.path("data").path("tables")).hasSize(2);
        assertThat(d.path("data").path("tables_compared").asInt()).isEqualTo(2);
        assertThat(d.path("data").path("not_comparable").get(0).path("table").asText()).isEqualTo("public.nokey");
        assertThat(d.path("data").path("not_comparable").get(0).path("reason").asText()).isEqualTo("no primary key");
        // far fewer rows came back than the 12,000 of big: only cut keys and the rows of a few small ranges
        assertThat(d.path("stats").path("rows_returned").asLong()).isLessThan(12_000 / 2);
        assertThat(d.path("stats").path("compared_table_bytes").asLong()).isPositive();
        // nothing ran on either branch: every table is still there
        assertThat(Sql.column(t, DEV_EP, DB, "SELECT count(*) FROM big")).containsExactly("12000");
        assertThat(Sql.column(t, PROD_EP, DB, "SELECT count(*) FROM big")).containsExactly("12000");
    }

    @Test
    void theOtherDirectionUndoesIt() throws Exception {
        JsonNode d = diff("production", "against=" + enc(P + "/branches/dev") + "&page_size=1", 200);
        assertThat(changes(d)).containsExactly(
                "REMOVED ROLE diff_reader",
                "REMOVED COLUMN public.big.note",
                "REMOVED INDEX public.big_n_idx",
                "REMOVED FUNCTION public.double_it(x integer)",
                "REMOVED VIEW public.big_view",
                "REMOVED GRANT SELECT on public.big to diff_reader");
        List<String> script = new ArrayList<>();
        d.path("schema").path("statements").forEach(s -> script.add(s.asText()));
        assertThat(script).containsExactly(
                "REVOKE SELECT ON TABLE \"public\".\"big\" FROM \"diff_reader\"",
                "DROP VIEW \"public\".\"big_view\"",
                "DROP FUNCTION \"public\".\"double_it\"(x integer)",
                "DROP INDEX \"public\".\"big_n_idx\"",
                "ALTER TABLE \"public\".\"big\" DROP COLUMN \"note\"",
                "DROP ROLE \"diff_reader\"");
        JsonNode big = table(d, "public.big");
        assertThat(big.path("rows_added").asLong()).isEqualTo(2);
        assertThat(big.path("rows_removed").asLong()).isEqualTo(2);
        assertThat(big.path("examples")).hasSize(3); // one per kind
    }

    @Test
    void schemaOnlyLeavesRowsOut() throws Exception {
        JsonNode d = diff("dev", "against=production&schema_only=true", 200);
        assertThat(changes(d)).hasSize(6);
        assertThat(d.has("data")).isFalse();
        assertThat(d.path("schema_only").asBoolean()).isTrue();
    }

    @Test
    void aFreshBranchIsIdenticalToItsParent() throws Exception {
        JsonNode d = diff("twin", "against=production", 200);
        assertThat(d.path("identical").asBoolean()).as(d.toString()).isTrue();
        assertThat(d.path("schema").path("changes")).isEmpty();
        assertThat(d.path("schema").path("statements")).isEmpty();
        assertThat(d.path("data").path("tables")).isEmpty();
        assertThat(d.path("data").path("tables_compared").asInt()).isEqualTo(2);
        // identical tables cost one summary each side, whatever their size
        assertThat(d.path("stats").path("ranges_fetched").asInt()).isZero();
    }

    @Test
    void strangersAreRefusedAndUsersWithCanUseAreServed() throws Exception {
        String stranger = t.userWithToken("diff-stranger@example.com");
        HttpResponse<String> r = t.http("GET", "/api/2.0/oxbow/" + P + "/branches/dev:diff?against=production", null, stranger);
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(r.body()).contains(P).doesNotContain("production\"").doesNotContain("big").doesNotContain("dev");
        HttpResponse<String> missing = t.http("GET", "/api/2.0/oxbow/projects/no-such-project/branches/dev:diff?against=production", null, stranger);
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(JSON.readTree(missing.body()).path("error_code").asText()).isEqualTo(JSON.readTree(r.body()).path("error_code").asText());

        String viewer = t.userWithToken("diff-viewer@example.com");
        HttpResponse<String> grant = t.http("PATCH", "/api/2.0/permissions/database-projects/branch-diff",
                "{\"access_control_list\":[{\"user_name\":\"diff-viewer@example.com\",\"permission_level\":\"CAN_USE\"}]}");
        assertThat(grant.statusCode()).as(grant.body()).isEqualTo(200);
        JsonNode d = diff("dev", "against=production", 200, viewer);
        assertThat(changes(d)).hasSize(6);
        // counts, but no row data: the viewer's own role might not be allowed to read those rows
        JsonNode big = table(d, "public.big");
        assertThat(big.path("rows_changed").asLong()).isEqualTo(3);
        assertThat(big.path("examples")).isEmpty();
        assertThat(d.path("data").path("examples_withheld").asText()).contains("CAN_MANAGE");
    }

    @Test
    void badAgainstValuesChangeNothing() throws Exception {
        JsonNode injected = diff("dev", "against=" + enc("production'; DROP TABLE big; --"), 404);
        assertThat(injected.path("message").asText()).contains("branch");
        diff("dev", "against=" + enc("projects/other-project/branches/production"), 400);
        diff("dev", "against=" + enc("production/../twin"), 400);
        diff("dev", "", 400);
        diff("no-such-branch", "against=production", 404);
        diff("dev", "against=production&database=" + enc("nope\"; DROP DATABASE databricks_postgres; --"), 404);
        diff("dev", "against=production&page_size=1000", 400);
        assertThat(Sql.column(t, DEV_EP, DB, "SELECT count(*) FROM big")).containsExactly("12000");
        assertThat(Sql.column(t, PROD_EP, DB, "SELECT count(*) FROM big")).containsExactly("12000");
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
