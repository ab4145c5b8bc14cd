package dev.oxbow.server;

import com.databricks.sdk.WorkspaceClient;
import com.databricks.sdk.core.error.platform.AlreadyExists;
import com.databricks.sdk.core.error.platform.InvalidParameterValue;
import com.databricks.sdk.core.error.platform.NotFound;
import com.databricks.sdk.service.postgres.*;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.FieldMask;
import dev.oxbow.controlplane.ControlPlane;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The Data API end to end: managed through the official Java SDK, served on the API port against a real compute, with
 * Oxbow PATs and database credentials; grants and row-level security decide per caller; injection attempts change
 * nothing; a suspended compute wakes; a deleted data API answers 404; postgrest-js (npm) drives it as a web app would.
 */
@ExtendWith(SharedServer.class)
class DataApiTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PROJECT = "projects/dapi";
    private static final String BRANCH = PROJECT + "/branches/web";
    private static final String EP = BRANCH + "/endpoints/primary";
    private static final String DB = BRANCH + "/databases/databricks-postgres";
    private static final String ALICE = "alice@dapi.example.com";
    private static final String BOB = "bob@dapi.example.com";
    private static TestServer t;
    private static WorkspaceClient w;
    private static String aliceToken;
    private static String bobToken;
    private static String base;

    @BeforeAll
    static void start(TestServer shared) throws Exception {
        t = shared;
        w = t.sdk();
        w.postgres().createProject(new CreateProjectRequest().setProjectId("dapi").setProject(new Project())).waitForCompletion();
        w.postgres().createBranch(new CreateBranchRequest().setParent(PROJECT).setBranchId("web")
                .setBranch(new Branch().setSpec(new BranchSpec().setNoExpiry(true)))).waitForCompletion();
        aliceToken = userWithToken(ALICE);
        bobToken = userWithToken(BOB);
        var grant = t.http("PATCH", "/api/2.0/permissions/database-projects/dapi", "{\"access_control_list\":["
                + "{\"user_name\":\"" + ALICE + "\",\"permission_level\":\"CAN_USE\"},{\"user_name\":\"" + BOB + "\",\"permission_level\":\"CAN_USE\"}]}");
        assertThat(grant.statusCode()).as(grant.body()).isEqualTo(200);
        for (String user : List.of(ALICE, BOB)) {
            w.postgres().createRole(new CreateRoleRequest().setParent(BRANCH)
                    .setRole(new Role().setSpec(new RoleRoleSpec().setPostgresRole(user).setIdentityType(RoleIdentityType.USER)))).waitForCompletion();
        }
        Sql.exec(t, EP, "databricks_postgres", """
                CREATE TABLE authors (id int PRIMARY KEY, name text NOT NULL, born date);
                CREATE TABLE todos (id serial PRIMARY KEY, title text NOT NULL, done boolean NOT NULL DEFAULT false);
                CREATE TABLE books (id int PRIMARY KEY, title text NOT NULL, author_id int REFERENCES authors, price numeric(8,2));
                CREATE TABLE notes (id serial PRIMARY KEY, owner text NOT NULL DEFAULT current_user, note text);
                ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
                CREATE POLICY own ON notes USING (owner = current_user) WITH CHECK (owner = current_user);
                INSERT INTO authors VALUES (1, 'Ursula'), (2, 'Iain');
                INSERT INTO books VALUES (1, 'The Dispossessed', 1, 9.50), (2, 'The Lathe of Heaven', 1, 7.25), (3, 'Excession', 2, 12.00);
                CREATE FUNCTION add(a int, b int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT a + b';
                CREATE FUNCTION books_by(author int) RETURNS SETOF books LANGUAGE sql STABLE AS
                  'SELECT * FROM books WHERE author_id = author ORDER BY id';
                CREATE FUNCTION whoami() RETURNS text LANGUAGE sql STABLE AS 'SELECT current_user';
                GRANT SELECT, INSERT, UPDATE, DELETE ON authors, books, notes, todos TO "alice@dapi.example.com";
                GRANT SELECT, INSERT ON notes TO "bob@dapi.example.com";
                GRANT USAGE ON SEQUENCE notes_id_seq TO "alice@dapi.example.com", "bob@dapi.example.com";
                GRANT USAGE ON SEQUENCE todos_id_seq TO "alice@dapi.example.com";
                """);
        DataApi created = w.postgres().createDataApi(new CreateDataApiRequest().setParent(DB).setDataApi(new DataApi().setSpec(
                new DataApiDataApiSpec().setDbSchemas(List.of("public")).setDbMaxRows(100L).setServerTimingEnabled(true)
                        .setServerCorsAllowedOrigins(List.of("https://app.example.com"))))).waitForCompletion();
        base = created.getStatus().getUrl();
    }

    private static String userWithToken(String email) throws Exception {
        return t.userWithToken(email);
    }

    /** A Data API call: {@code path} relative to the data API's URL; headers as name, value pairs. */
    static HttpResponse<String> rest(String method, String path, String body, String token, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static String q(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    @Test
    void managementThroughTheJavaSdk() throws Exception {
        DataApi got = w.postgres().getDataApi(DB + "/data-api");
        assertThat(got.getName()).isEqualTo(DB + "/data-api");
        assertThat(got.getParent()).isEqualTo(DB);
        assertThat(got.getStatus().getUrl()).isEqualTo(t.baseUrl() + "/api/2.0/oxbow/data-api/dapi/web/databricks-postgres/");
        assertThat(got.getStatus().getAvailableSchemas()).contains("public");
        assertThat(got.getStatus().getDbMaxRows()).isEqualTo(100L);
        assertThat(got.getStatus().getServerCorsAllowedOrigins()).containsExactly("https://app.example.com");
        assertThatThrownBy(() -> w.postgres().createDataApi(new CreateDataApiRequest().setParent(DB).setDataApi(new DataApi())).waitForCompletion())
                .isInstanceOf(AlreadyExists.class);
        assertThatThrownBy(() -> w.postgres().getDataApi(BRANCH + "/databases/nope/data-api")).isInstanceOf(NotFound.class);
        assertThatThrownBy(() -> w.postgres().updateDataApi(new UpdateDataApiRequest().setName(DB + "/data-api")
                .setDataApi(new DataApi().setSpec(new DataApiDataApiSpec().setJwtRoleClaimKey(".role")))
                .setUpdateMask(FieldMask.newBuilder().addPaths("spec.jwt_role_claim_key").build())))
                .isInstanceOf(InvalidParameterValue.class).hasMessageContaining("spec.jwt_role_claim_key");
        DataApi updated = w.postgres().updateDataApi(new UpdateDataApiRequest().setName(DB + "/data-api")
                .setDataApi(new DataApi().setSpec(new DataApiDataApiSpec().setDbMaxRows(50L)))
                .setUpdateMask(FieldMask.newBuilder().addPaths("spec.db_max_rows").build())).waitForCompletion();
        assertThat(updated.getStatus().getDbMaxRows()).isEqualTo(50L);
        assertThat(updated.getStatus().getServerTimingEnabled()).isTrue();
    }

    @Test
    void strangersAndForeignSchemasAreRefusedAtCreate() throws Exception {
        var missing = t.http("POST", "/api/2.0/postgres/" + BRANCH + "/databases/nope/data-api", "{}");
        assertThat(missing.statusCode()).isEqualTo(404);
        var system = t.http("POST", "/api/2.0/postgres/" + DB + "/data-api", "{\"spec\":{\"db_schemas\":[\"pg_catalog\"]}}");
        assertThat(system.statusCode()).isEqualTo(400);
        assertThat(system.body()).contains("spec.db_schemas");
        // a CAN_USE holder may read the data API but not change it
        assertThat(t.http("GET", "/api/2.0/postgres/" + DB + "/data-api", null, aliceToken).statusCode()).isEqualTo(200);
        assertThat(t.http("DELETE", "/api/2.0/postgres/" + DB + "/data-api", null, aliceToken).statusCode()).isEqualTo(403);
    }

    @Test
    void readsWithEmbeddingFiltersAndCountAsTheCaller() throws Exception {
        var r = rest("GET", "books?select=title,authors(name)&price=gt.8&order=id", null, aliceToken, "Prefer", "count=exact");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode rows = JSON.readTree(r.body());
        assertThat(rows).hasSize(2);
        assertThat(rows.get(0).path("title").asText()).isEqualTo("The Dispossessed");
        assertThat(rows.get(0).path("authors").path("name").asText()).isEqualTo("Ursula");
        assertThat(r.headers().firstValue("Content-Range")).hasValue("0-1/2");
        assertThat(r.headers().firstValue("Server-Timing").orElse("")).startsWith("total;dur=");
        var who = rest("POST", "rpc/whoami", "{}", aliceToken);
        assertThat(who.body()).isEqualTo("\"" + ALICE + "\"");
        // bob has no grant on books: Postgres refuses, PostgREST's status
        var denied = rest("GET", "books", null, bobToken);
        assertThat(denied.statusCode()).isEqualTo(403);
        assertThat(JSON.readTree(denied.body()).path("code").asText()).isEqualTo("42501");
    }

    @Test
    void databaseCredentialsWorkAndBadTokensDoNot() throws Exception {
        WorkspaceClient alice = new WorkspaceClient(new com.databricks.sdk.core.DatabricksConfig().setHost(t.baseUrl()).setToken(aliceToken).setAuthType("pat"));
        String credential = alice.postgres().generateDatabaseCredential(new GenerateDatabaseCredentialRequest().setEndpoint(EP)).getToken();
        var r = rest("POST", "rpc/whoami", "{}", credential);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("\"" + ALICE + "\"");
        assertThat(rest("GET", "books", null, null).statusCode()).isEqualTo(401);
        assertThat(rest("GET", "books", null, "dapi-not-a-token").statusCode()).isEqualTo(401);
        assertThat(rest("GET", "books", null, credential.substring(0, credential.length() - 4) + "AAAA").statusCode()).isEqualTo(401);
        // the admin's PAT is a caller too, as its own role (the project owner)
        assertThat(rest("POST", "rpc/whoami", "{}", t.token()).body()).isEqualTo("\"admin@oxbow.local\"");
    }

    @Test
    void rowLevelSecurityKeepsCallersApart() throws Exception {
        assertThat(rest("POST", "notes", "{\"note\":\"alice's\"}", aliceToken).statusCode()).isEqualTo(201);
        assertThat(rest("POST", "notes", "{\"note\":\"bob's\"}", bobToken).statusCode()).isEqualTo(201);
        // writing a row as someone else is refused by the policy's WITH CHECK
        var forged = rest("POST", "notes", "{\"note\":\"forged\",\"owner\":\"" + ALICE + "\"}", bobToken);
        assertThat(forged.statusCode()).isEqualTo(403);
        JsonNode mine = JSON.readTree(rest("GET", "notes?select=owner,note", null, bobToken).body());
        assertThat(mine).isNotEmpty().allSatisfy(n -> assertThat(n.path("owner").asText()).isEqualTo(BOB));
        JsonNode hers = JSON.readTree(rest("GET", "notes?select=owner,note", null, aliceToken).body());
        assertThat(hers).isNotEmpty().allSatisfy(n -> assertThat(n.path("owner").asText()).isEqualTo(ALICE));
    }

    /**
     * The attack a shared authenticator invites: a caller's own function resets the role to the session user and
     * switches to another caller's role. Requests run with the caller as the session user, so there is nothing to reset to.
     */
    @Test
    void aFunctionCannotSwitchToAnotherCallersRole() throws Exception {
        assertThat(rest("POST", "notes", "{\"note\":\"bob's secret\"}", bobToken).statusCode()).isEqualTo(201);
        Sql.exec(t, EP, "databricks_postgres", """
                GRANT CREATE ON SCHEMA public TO "alice@dapi.example.com";
                SET ROLE "alice@dapi.example.com";
                CREATE FUNCTION peek() RETURNS SETOF text LANGUAGE plpgsql AS $$
                BEGIN
                  RESET ROLE;
                  SET ROLE "bob@dapi.example.com";
                  RETURN QUERY SELECT note FROM notes;
                END $$;
                CREATE FUNCTION session_role() RETURNS text LANGUAGE sql AS 'SELECT session_user';
                RESET ROLE;
                """);
        var peek = rest("POST", "rpc/peek", "{}", aliceToken);
        assertThat(peek.body()).doesNotContain("bob's secret");
        assertThat(peek.statusCode()).as(peek.body()).isEqualTo(403);
        assertThat(rest("POST", "rpc/session_role", "{}", aliceToken).body()).isEqualTo("\"" + ALICE + "\"");
    }

    @Test
    void injectionThroughEveryParameterChangesNothing() throws Exception {
        List<String> attacks = List.of(
                "books?select=" + q("id;DROP TABLE authors"),
                "books?select=" + q("id,title::text);DROP TABLE authors;--"),
                "books?order=" + q("id;DROP TABLE authors"),
                "books?order=" + q("id desc, (SELECT 1)"),
                "books?id=" + q("eq.1;DROP TABLE authors"),
                "books?id=" + q("in.(1);DROP TABLE authors"),
                "books?title=" + q("like.*' OR '1'='1"),
                "books?" + q("id;DROP TABLE authors") + "=eq.1",
                "books?or=" + q("(id.eq.1,id.eq.2);DROP TABLE authors"),
                "books?limit=" + q("1;DROP TABLE authors"),
                "books?offset=" + q("0;DROP TABLE authors"),
                q("books;DROP TABLE authors"),
                q("books\"; DROP TABLE authors; --"),
                "rpc/" + q("add(1,2);DROP TABLE authors"));
        for (String attack : attacks) {
            var r = rest("GET", attack, null, aliceToken);
            assertThat(r.statusCode()).as(attack + " → " + r.body()).isIn(200, 400, 404);
            if (r.statusCode() == 200) {
                assertThat(JSON.readTree(r.body()).isArray()).as(attack).isTrue();
            }
        }
        for (String body : List.of("{\"id\":9,\"title\":\"x'); DROP TABLE authors; --\",\"author_id\":1}",
                "{\"id\":10,\"title\":\"y\",\"author_id\":1,\"price);DROP TABLE authors;--\":1}")) {
            rest("POST", "books", body, aliceToken);
        }
        var prefer = rest("POST", "books?on_conflict=" + q("id) DO NOTHING; DROP TABLE authors; --"), "{\"id\":11,\"title\":\"z\",\"author_id\":1}",
                aliceToken, "Prefer", "resolution=merge-duplicates");
        assertThat(prefer.statusCode()).isIn(201, 400);
        var profile = rest("GET", "books", null, aliceToken, "Accept-Profile", "public\"; DROP TABLE authors; --");
        assertThat(profile.statusCode()).isEqualTo(406);
        assertThat(Sql.column(t, EP, "databricks_postgres", "SELECT count(*) FROM authors")).containsExactly("2");
        // the one row a literal title made is stored as the literal text
        assertThat(Sql.column(t, EP, "databricks_postgres", "SELECT title FROM books WHERE id = 9")).containsExactly("x'); DROP TABLE authors; --");
        Sql.exec(t, EP, "databricks_postgres", "DELETE FROM books WHERE id > 3"); // the other tests count the three books
    }

    /** A client no one here wrote: @supabase/postgrest-js from npm (clients/node; scripts/setup --for-tests installs it). */
    @Test
    void postgrestJsWorksAgainstOxbow() throws Exception {
        Path clients = Path.of(System.getProperty("user.dir")).resolveSibling("clients").resolve("node");
        if (!Files.isRegularFile(clients.resolve("node_modules/@supabase/postgrest-js/package.json"))) {
            String message = "@supabase/postgrest-js is not installed in clients/node (scripts/setup --for-tests installs it)";
            if ("true".equals(System.getenv("CI"))) {
                fail(message);
            }
            assumeTrue(false, message);
        }
        ProcessBuilder pb = new ProcessBuilder("node", "postgrest_checks.mjs", "all").directory(clients.toFile()).redirectErrorStream(true);
        pb.environment().put("OXBOW_DATA_API_URL", base);
        pb.environment().put("OXBOW_TOKEN", aliceToken);
        pb.environment().put("OXBOW_OTHER_TOKEN", bobToken);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        List<String> lines = out.lines().filter(l -> l.startsWith("PASS") || l.startsWith("FAIL")).toList();
        assertThat(lines).as(out).hasSize(11).allSatisfy(l -> assertThat(l).startsWith("PASS"));
    }

    @Test
    void corsFollowsTheAllowedOrigins() throws Exception {
        var allowed = rest("OPTIONS", "books", null, null, "Origin", "https://app.example.com", "Access-Control-Request-Method", "GET",
                "Access-Control-Request-Headers", "authorization,prefer");
        assertThat(allowed.statusCode()).isEqualTo(200);
        assertThat(allowed.headers().firstValue("Access-Control-Allow-Origin")).hasValue("https://app.example.com");
        assertThat(allowed.headers().firstValue("Access-Control-Allow-Headers")).hasValue("authorization,prefer");
        var other = rest("OPTIONS", "books", null, null, "Origin", "https://evil.example.com", "Access-Control-Request-Method", "GET");
        assertThat(other.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
        var get = rest("GET", "books?select=id", null, aliceToken, "Origin", "https://app.example.com");
        assertThat(get.headers().firstValue("Access-Control-Allow-Origin")).hasValue("https://app.example.com");
    }

    @Test
    void aSuspendedComputeWakesOnTheFirstRequest() throws Exception {
        ControlPlane cp = t.server().controlPlane();
        cp.activity().suspendNow(cp.store().endpoints().get(EP).orElseThrow());
        assertThat(cp.store().endpoints().get(EP).orElseThrow().state()).isEqualTo(dev.oxbow.metadata.EndpointState.IDLE);
        var r = rest("GET", "authors?select=name&id=eq.2", null, aliceToken);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(JSON.readTree(r.body()).get(0).path("name").asText()).isEqualTo("Iain");
        assertThat(cp.store().endpoints().get(EP).orElseThrow().state()).isEqualTo(dev.oxbow.metadata.EndpointState.ACTIVE);
    }

    private static void aggregates(boolean enabled) throws Exception {
        w.postgres().updateDataApi(new UpdateDataApiRequest().setName(DB + "/data-api")
                .setDataApi(new DataApi().setSpec(new DataApiDataApiSpec().setDbAggregatesEnabled(enabled)))
                .setUpdateMask(FieldMask.newBuilder().addPaths("spec.db_aggregates_enabled").build())).waitForCompletion();
    }

    @Test
    void aggregatesOnlyWhenEnabled() throws Exception {
        aggregates(false);
        var refused = rest("GET", "books?select=count()", null, aliceToken);
        assertThat(refused.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(refused.body()).path("code").asText()).isEqualTo("PGRST123");
        aggregates(true);
        assertThat(w.postgres().getDataApi(DB + "/data-api").getStatus().getDbAggregatesEnabled()).isTrue();
        var all = rest("GET", "books?select=count(),price.sum(),top:price.max()&id=lte.3", null, aliceToken);
        assertThat(all.statusCode()).as(all.body()).isEqualTo(200);
        assertThat(JSON.readTree(all.body())).isEqualTo(JSON.readTree("[{\"count\":3,\"sum\":28.75,\"top\":12.00}]"));
        // plain columns beside aggregates group, as in PostgREST 12
        var grouped = rest("GET", "books?select=author_id,n:count(),price.avg()::int&id=lte.3&order=author_id", null, aliceToken);
        assertThat(JSON.readTree(grouped.body())).as(grouped.body()).isEqualTo(JSON.readTree(
                "[{\"author_id\":1,\"n\":2,\"avg\":8},{\"author_id\":2,\"n\":1,\"avg\":12}]"));
        var embedded = rest("GET", "authors?select=name,books(count())&order=id", null, aliceToken);
        assertThat(JSON.readTree(embedded.body()).get(0).path("books").get(0).path("count").asInt()).as(embedded.body()).isEqualTo(2);
        assertThat(rest("GET", "books?select=" + q("price.sum();DROP TABLE authors()"), null, aliceToken).statusCode()).isEqualTo(400);
        assertThat(rest("GET", "books?select=price.stddev()", null, aliceToken).statusCode()).isEqualTo(400);
    }

    @Test
    void rangesCountsCsvFullTextAndUpserts() throws Exception {
        var page = rest("GET", "books?select=id,title&id=lte.3&order=id", null, aliceToken, "Range", "0-1", "Prefer", "count=exact");
        assertThat(page.statusCode()).isEqualTo(206);
        assertThat(page.headers().firstValue("Content-Range")).hasValue("0-1/3");
        assertThat(JSON.readTree(page.body())).hasSize(2);
        var beyond = rest("GET", "books?select=id&id=lte.3&offset=5", null, aliceToken, "Prefer", "count=exact");
        assertThat(beyond.statusCode()).isEqualTo(416);
        var csv = rest("GET", "books?select=id,title&id=lte.2&order=id", null, aliceToken, "Accept", "text/csv");
        assertThat(csv.headers().firstValue("Content-Type").orElse("")).startsWith("text/csv");
        assertThat(csv.body()).isEqualTo("id,title\n1,The Dispossessed\n2,The Lathe of Heaven\n");
        for (String fts : List.of("fts.dispossessed", "plfts(english).lathe heaven", "phfts.lathe of heaven", "wfts(english).excession")) {
            var found = rest("GET", "books?select=id&title=" + q(fts), null, aliceToken);
            assertThat(JSON.readTree(found.body())).as(fts + " " + found.body()).hasSize(1);
        }
        var upsert = rest("POST", "authors?on_conflict=id", "[{\"id\":2,\"name\":\"Iain M.\"},{\"id\":7,\"name\":\"Octavia\"}]", aliceToken,
                "Prefer", "resolution=merge-duplicates,return=representation");
        assertThat(upsert.statusCode()).as(upsert.body()).isEqualTo(201);
        assertThat(JSON.readTree(upsert.body())).hasSize(2);
        assertThat(Sql.column(t, EP, "databricks_postgres", "SELECT name FROM authors ORDER BY id")).containsExactly("Ursula", "Iain M.", "Octavia");
        var ignored = rest("POST", "authors?on_conflict=id", "{\"id\":7,\"name\":\"changed\"}", aliceToken, "Prefer", "resolution=ignore-duplicates");
        assertThat(ignored.statusCode()).isEqualTo(201);
        Sql.exec(t, EP, "databricks_postgres", "UPDATE authors SET name = 'Iain' WHERE id = 2; DELETE FROM authors WHERE id = 7");
    }

    @Test
    void everyRequestIsAuditedWithTheCallerAndStatus() throws Exception {
        assertThat(rest("GET", "authors?select=id&id=eq.1", null, aliceToken).statusCode()).isEqualTo(200);
        assertThat(rest("GET", "nosuchtable", null, bobToken).statusCode()).isEqualTo(404);
        var store = t.server().controlPlane().store();
        long deadline = System.nanoTime() + 10_000_000_000L;
        List<dev.oxbow.metadata.AuditEvent> events;
        do { // written by a background writer
            events = store.audit().page(0, 200, DB + "/data-api", null);
        } while (events.stream().noneMatch(e -> e.resource().endsWith("/nosuchtable")) && System.nanoTime() < deadline);
        assertThat(events).anySatisfy(e -> {
            assertThat(e.actor()).isEqualTo(ALICE);
            assertThat(e.action()).isEqualTo("DATA_API_GET");
            assertThat(e.resource()).isEqualTo(DB + "/data-api/authors");
            assertThat(e.outcome()).isEqualTo("200");
        });
        assertThat(events).anySatisfy(e -> {
            assertThat(e.actor()).isEqualTo(BOB);
            assertThat(e.resource()).isEqualTo(DB + "/data-api/nosuchtable");
            assertThat(e.outcome()).isEqualTo("404");
        });
    }

    /** A token's check is cached, but a revocation is a metadata write: the very next request is refused. */
    @Test
    void aRevokedTokenIsRefusedOnTheNextRequest() throws Exception {
        JsonNode created = JSON.readTree(t.http("POST", "/api/2.0/token-management/on-behalf-of/tokens", "{\"user_name\":\"" + ALICE + "\"}").body());
        String token = created.path("token_value").asText();
        assertThat(rest("POST", "rpc/whoami", "{}", token).statusCode()).isEqualTo(200);
        assertThat(rest("POST", "rpc/whoami", "{}", token).statusCode()).isEqualTo(200);
        var revoked = t.http("POST", "/api/2.0/token/delete", "{\"token_id\":\"" + created.path("token_info").path("token_id").asText() + "\"}", token);
        assertThat(revoked.statusCode()).as(revoked.body()).isEqualTo(200);
        var after = rest("POST", "rpc/whoami", "{}", token);
        assertThat(after.statusCode()).as(after.body()).isEqualTo(401);
    }

    /** A read-only credential limits a database login; the Data API would act with all of the subject's rights, so it refuses it. */
    @Test
    void scopedCredentialsAreRefused() throws Exception {
        WorkspaceClient alice = new WorkspaceClient(new com.databricks.sdk.core.DatabricksConfig().setHost(t.baseUrl()).setToken(aliceToken).setAuthType("pat"));
        String readOnly = alice.postgres().generateDatabaseCredential(new GenerateDatabaseCredentialRequest().setEndpoint(EP)
                .setClaims(List.of(new RequestedClaims().setPermissionSet(RequestedClaimsPermissionSet.READ_ONLY)
                        .setResources(List.of(new RequestedResource().setTableName("books")))))).getToken();
        var r = rest("DELETE", "authors?id=eq.1", null, readOnly);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(401);
        assertThat(Sql.column(t, EP, "databricks_postgres", "SELECT count(*) FROM authors WHERE id = 1")).containsExactly("1");
    }

    /**
     * A reset replaces the branch's data and database records by the parent's: the data API stays (its URL answers, not
     * 404) and serves the new data — pooled connections to the old compute and the old schema cache are dropped.
     */
    @Test
    void theDataApiSurvivesABranchReset() throws Exception {
        String branch = PROJECT + "/branches/resettable";
        String db = branch + "/databases/databricks-postgres";
        w.postgres().createBranch(new CreateBranchRequest().setParent(PROJECT).setBranchId("resettable")
                .setBranch(new Branch().setSpec(new BranchSpec().setSourceBranch(PROJECT + "/branches/production").setNoExpiry(true)))).waitForCompletion();
        String url = w.postgres().createDataApi(new CreateDataApiRequest().setParent(db).setDataApi(new DataApi())).waitForCompletion()
                .getStatus().getUrl();
        HttpClient client = HttpClient.newHttpClient();
        java.util.function.Function<String, HttpResponse<String>> get = path -> {
            try {
                return client.send(HttpRequest.newBuilder(URI.create(url + path)).header("Authorization", "Bearer " + t.token()).build(),
                        HttpResponse.BodyHandlers.ofString());
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        };
        assertThat(get.apply("reset_probe").statusCode()).isEqualTo(404);
        Sql.exec(t, PROJECT + "/branches/production/endpoints/primary", "databricks_postgres",
                "CREATE TABLE reset_probe (id int PRIMARY KEY); INSERT INTO reset_probe VALUES (42)");
        var op = t.http("POST", "/api/2.0/postgres/" + branch + ":reset", "{}");
        assertThat(op.statusCode()).as(op.body()).isEqualTo(200);
        t.awaitOperation(JSON.readTree(op.body()).path("name").asText(), java.time.Duration.ofSeconds(120));
        var after = get.apply("reset_probe?select=id");
        assertThat(after.statusCode()).as(after.body()).isEqualTo(200);
        assertThat(after.body()).isEqualTo("[{\"id\":42}]");
    }

    @Test
    void aDatabaseWithoutADataApiAnswers404() throws Exception {
        w.postgres().createDatabase(new CreateDatabaseRequest().setParent(BRANCH).setDatabaseId("plain")
                .setDatabase(new Database().setSpec(new DatabaseDatabaseSpec().setPostgresDatabase("plain")))).waitForCompletion();
        String plain = base.replace("/databricks-postgres/", "/plain/");
        var none = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(plain + "books"))
                .header("Authorization", "Bearer " + aliceToken).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(none.statusCode()).isEqualTo(404);
        w.postgres().createDataApi(new CreateDataApiRequest().setParent(BRANCH + "/databases/plain").setDataApi(new DataApi())).waitForCompletion();
        var served = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(plain))
                .header("Authorization", "Bearer " + aliceToken).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(served.statusCode()).as(served.body()).isEqualTo(200);
        assertThat(JSON.readTree(served.body()).path("swagger").asText()).isEqualTo("2.0");
        w.postgres().deleteDataApi(BRANCH + "/databases/plain/data-api").waitForCompletion();
        var gone = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(plain))
                .header("Authorization", "Bearer " + aliceToken).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(gone.statusCode()).isEqualTo(404);
        assertThatThrownBy(() -> w.postgres().getDataApi(BRANCH + "/databases/plain/data-api")).isInstanceOf(NotFound.class);
    }
}
