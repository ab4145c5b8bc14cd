package dev.oxbow.server;

import org.junit.jupiter.api.extension.RegisterExtension;

import com.databricks.sdk.service.postgres.CreateProjectRequest;
import com.databricks.sdk.service.postgres.GenerateDatabaseCredentialRequest;
import com.databricks.sdk.service.postgres.Project;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.oxbow.sync.DeltaTableWriter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An ordinary user with a project of their own attacks synced tables: traps in their database that would run as
 * the sync's superuser (SNAPSHOT, TRIGGERED and CONTINUOUS), sources outside the catalogs they were granted
 * (paths, URIs, symbolic links, a commit file linked to the admin's token), other people's operations, and
 * the unauthenticated /metrics.
 */
class SyncedTableSecurityTest {
    @RegisterExtension
    static final TestHomes homes = new TestHomes();
    static final String ALICE = "alice@example.com";
    static final String PRIMARY = "projects/alice-sync/branches/production/endpoints/primary";
    static final String BRANCH = "projects/alice-sync/branches/production";
    static final ObjectMapper JSON = new ObjectMapper();
    private static TestServer t;
    private static Path lake;
    private static String aliceToken;
    private static String bobToken;

    @BeforeAll
    static void start() throws Exception {
        Path home = homes.newHome("sync-sec");
        lake = home.resolve("lake");
        Files.createDirectories(lake);
        t = TestServer.start(TestServer.config(home).withCatalogs(Map.of("lake", lake)));
        aliceToken = t.userWithToken(ALICE);
        bobToken = t.userWithToken("bob@example.com");
        t.sdk(aliceToken).postgres().createProject(new CreateProjectRequest().setProjectId("alice-sync").setProject(new Project()))
                .waitForCompletion();
    }

    @AfterAll
    static void stop() {
        t.close();
    }

    static JsonNode body(java.net.http.HttpResponse<String> r) throws Exception {
        return JSON.readTree(r.body());
    }

    static java.net.http.HttpResponse<String> create(String token, String id, String source, String policy) throws Exception {
        return create(token, id, source, policy, "databricks_postgres");
    }

    static java.net.http.HttpResponse<String> create(String token, String id, String source, String policy, String database) throws Exception {
        String spec = "{\"spec\":{\"source_table_full_name\":" + JSON.writeValueAsString(source)
                + ",\"primary_key_columns\":[\"id\"],\"scheduling_policy\":\"" + policy + "\",\"branch\":\"" + BRANCH
                + "\",\"postgres_database\":\"" + database + "\"}}";
        return t.http("POST", "/api/2.0/postgres/synced_tables?synced_table_id=" + id, spec, token);
    }

    static JsonNode await(String token, String operation) throws Exception {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(90));
        while (true) {
            JsonNode op = body(t.http("GET", "/api/2.0/postgres/" + operation, null, token));
            if (op.path("done").asBoolean(false)) return op;
            if (Instant.now().isAfter(deadline)) throw new AssertionError("operation not done: " + op);
            Thread.sleep(100);
        }
    }

    static JsonNode table(String id) throws Exception {
        return body(t.http("GET", "/api/2.0/postgres/synced_tables/" + id, null, aliceToken));
    }

    /** Alice's own SQL, through the proxy with her credential, as her Postgres role. */
    static void aliceSql(String... statements) throws Exception {
        aliceSqlIn("databricks_postgres", statements);
    }

    static void aliceSqlIn(String database, String... statements) throws Exception {
        var alice = t.sdk(aliceToken);
        String uid = alice.postgres().getEndpoint(PRIMARY).getUid();
        String credential = alice.postgres().generateDatabaseCredential(new GenerateDatabaseCredentialRequest().setEndpoint(PRIMARY)).getToken();
        java.util.Properties p = new java.util.Properties();
        p.setProperty("user", ALICE);
        p.setProperty("password", credential);
        p.setProperty("sslmode", "require");
        p.setProperty("sslrootcert", t.server().caCertificate().toString());
        p.setProperty("options", "endpoint=" + uid);
        try (Connection c = java.sql.DriverManager.getConnection("jdbc:postgresql://localhost:" + t.server().pgPort() + "/" + database, p);
             Statement s = c.createStatement()) {
            for (String sql : statements) s.execute(sql);
        }
    }

    static long hijacks() throws Exception {
        return Long.parseLong(Sql.column(t, PRIMARY, "databricks_postgres", "SELECT count(*) FROM public.hijack_log").get(0))
                + Long.parseLong(Sql.column(t, PRIMARY, "trap", "SELECT count(*) FROM public.hijack_log").get(0));
    }

    static final String[] HIJACK = {"CREATE TABLE public.hijack_log (who text, superuser boolean)",
            "GRANT INSERT, SELECT ON public.hijack_log TO PUBLIC",
            "CREATE FUNCTION public.hijack() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                    + " INSERT INTO public.hijack_log SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user;"
                    + " EXECUTE 'ALTER ROLE \"" + ALICE + "\" SUPERUSER'; RETURN NULL; END $$",
            "GRANT EXECUTE ON FUNCTION public.hijack() TO PUBLIC"};

    static boolean aliceIsSuperuser() throws Exception {
        return Sql.column(t, PRIMARY, "databricks_postgres", "SELECT rolsuper::text FROM pg_roles WHERE rolname = '" + ALICE + "'").get(0).equals("true");
    }

    static String trappedTable(String qualified) {
        return "CREATE TABLE " + qualified + " (id bigint PRIMARY KEY, name text, amount float8, ts timestamptz);"
                + " CREATE TRIGGER hijack AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON " + qualified
                + " FOR EACH STATEMENT EXECUTE FUNCTION public.hijack()";
    }

    static void awaitState(String id, String state) throws Exception {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(90));
        while (!table(id).path("status").path("detailed_state").asText().equals(state)) {
            if (Instant.now().isAfter(deadline)) throw new AssertionError(id + " not " + state + ": " + table(id));
            Thread.sleep(100);
        }
    }

    @Test
    void tenantTrapsNeverRunAsSuperuserInAnyMode() throws Exception {
        assertThat(t.http("PUT", "/api/2.0/permissions/oxbow-catalogs/lake",
                "{\"access_control_list\":[{\"user_name\":\"" + ALICE + "\",\"permission_level\":\"CAN_USE\"}]}").statusCode()).isEqualTo(200);
        aliceSql(HIJACK);
        // a database of Alice's own where no sync ran yet
        JsonNode db = body(t.http("POST", "/api/2.0/postgres/" + BRANCH + "/databases?database_id=trap",
                "{\"spec\":{\"postgres_database\":\"trap\"}}", aliceToken));
        assertThat(await(aliceToken, db.path("name").asText()).has("response")).as(db.toString()).isTrue();
        aliceSqlIn("trap", HIJACK);
        DeltaTableWriter w = DeltaTableWriter.create(lake.resolve("s").resolve("orders"), SyncedTableTest.SCHEMA, true);
        w.append(SyncedTableTest.rows(0, 20));

        // 1. the sync state schema made first, with a trap on its table
        aliceSqlIn("trap", "CREATE SCHEMA _oxbow_sync", "CREATE TABLE _oxbow_sync.state (synced_table text PRIMARY KEY, source text NOT NULL,"
                + " version bigint NOT NULL, commit_time timestamptz, synced_at timestamptz NOT NULL, columns jsonb NOT NULL)",
                "CREATE TRIGGER hijack AFTER INSERT OR UPDATE OR DELETE ON _oxbow_sync.state FOR EACH STATEMENT EXECUTE FUNCTION public.hijack()");
        JsonNode refused = await(aliceToken, body(create(aliceToken, "lake.app.first", "lake.s.orders", "TRIGGERED", "trap")).path("name").asText());
        assertThat(refused.path("error").path("message").asText()).contains("Schema _oxbow_sync").contains("belongs to " + ALICE);
        assertThat(hijacks()).isZero();
        assertThat(t.http("GET", "/api/2.0/postgres/synced_tables/lake.app.first", null, aliceToken).statusCode())
                .as("a refused initial load leaves no synced table").isEqualTo(404);

        for (String policy : List.of("SNAPSHOT", "TRIGGERED", "CONTINUOUS")) {
            String name = policy.toLowerCase();
            // 2. a target table made first, with a trap
            aliceSql(trappedTable("public.pre_" + name).split("; "));
            JsonNode pre = await(aliceToken, body(create(aliceToken, "lake.public.pre_" + name, "lake.s.orders", policy)).path("name").asText());
            assertThat(pre.path("error").path("message").asText()).as(policy).contains("already exists and belongs to " + ALICE);

            // 3. a synced table that works, then swapped for a trapped one between syncs
            JsonNode ok = await(aliceToken, body(create(aliceToken, "lake.public.ok_" + name, "lake.s.orders", policy)).path("name").asText());
            assertThat(ok.has("response")).as(policy + " " + ok).isTrue();
            assertThat(Sql.column(t, PRIMARY, "databricks_postgres", "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = 'public.ok_" + name + "'::regclass"))
                    .containsExactly("oxbow_sync");
            aliceSql("DROP TABLE public.ok_" + name, trappedTable("public.ok_" + name).split("; ")[0], trappedTable("public.ok_" + name).split("; ")[1]);
        }
        w.append(SyncedTableTest.rows(20, 30));
        for (String policy : List.of("SNAPSHOT", "TRIGGERED")) {
            String id = "lake.public.ok_" + policy.toLowerCase();
            JsonNode sync = await(aliceToken, body(t.http("POST", "/api/2.0/postgres/synced_tables/" + id + ":sync", null, aliceToken)).path("name").asText());
            assertThat(sync.path("error").path("message").asText()).as(policy).contains("already exists and belongs to " + ALICE);
        }
        awaitState("lake.public.ok_continuous", "SYNCED_TABLE_ONLINE_PIPELINE_FAILED");
        assertThat(table("lake.public.ok_continuous").path("status").path("message").asText()).contains("already exists and belongs to " + ALICE);

        assertThat(hijacks()).as("no trap ever fired").isZero();
        assertThat(aliceIsSuperuser()).isFalse();
        assertThat(Sql.column(t, PRIMARY, "databricks_postgres", "SELECT rolsuper::text FROM pg_roles WHERE rolname = 'oxbow_sync'")).containsExactly("false");
    }

    @Test
    void sourcesComeOnlyFromGrantedCatalogsAndStayInside() throws Exception {
        DeltaTableWriter.create(lake.resolve("c").resolve("ok"), SyncedTableTest.SCHEMA, false).append(SyncedTableTest.rows(0, 5));
        // without a grant (bob has no project rights either, so his create is refused before the source is looked at)
        t.http("PUT", "/api/2.0/permissions/oxbow-catalogs/lake", "{\"access_control_list\":[]}");
        var denied = create(aliceToken, "lake.c.denied", "lake.c.ok", "SNAPSHOT");
        assertThat(denied.statusCode()).as(denied.body()).isEqualTo(403);
        assertThat(body(denied).path("message").asText()).contains("may not sync from catalog lake");
        assertThat(t.http("PUT", "/api/2.0/permissions/oxbow-catalogs/lake",
                "{\"access_control_list\":[{\"user_name\":\"" + ALICE + "\",\"permission_level\":\"CAN_USE\"}]}", aliceToken).statusCode())
                .as("only admins grant catalogs").isEqualTo(403);
        assertThat(t.http("PATCH", "/api/2.0/permissions/oxbow-catalogs/lake",
                "{\"access_control_list\":[{\"user_name\":\"" + ALICE + "\",\"permission_level\":\"CAN_USE\"}]}").statusCode()).isEqualTo(200);
        assertThat(body(t.http("GET", "/api/2.0/permissions/oxbow-catalogs/lake", null)).path("access_control_list").get(0).path("user_name").asText())
                .isEqualTo(ALICE);
        JsonNode granted = body(create(aliceToken, "lake.c.granted", "lake.c.ok", "SNAPSHOT"));
        String operation = granted.path("name").asText();
        assertThat(await(aliceToken, operation).has("response")).isTrue();
        // the operation is Alice's project's: bob, who knows its id, does not see it
        assertThat(t.http("GET", "/api/2.0/postgres/" + operation, null, bobToken).statusCode()).isEqualTo(404);

        // the admin's token as a commit file (a link), a table that is a link out of the catalog
        Path tokenFile = t.server().controlPlane().config().layout().adminTokenFile();
        String secret = Files.readString(tokenFile).strip();
        Path linkedLog = lake.resolve("c").resolve("token_log");
        DeltaTableWriter.create(linkedLog, SyncedTableTest.SCHEMA, false).append(SyncedTableTest.rows(0, 3));
        Files.createSymbolicLink(linkedLog.resolve("_delta_log").resolve(String.format("%020d.json", 2)), tokenFile);
        Path outside = t.home().resolve("outside");
        DeltaTableWriter.create(outside, SyncedTableTest.SCHEMA, false).append(SyncedTableTest.rows(0, 3));
        Files.createSymbolicLink(lake.resolve("c").resolve("escape"), outside);

        Map<String, String> attempts = Map.of(
                "lake.c.token_log", "outside its directory",
                "lake.c.escape", "resolves outside catalog lake",
                outside.toString(), "Only workspace admins",
                "file://" + outside, "URIs are not accepted",
                "file:" + outside, "Only workspace admins",
                "http://169.254.169.254/latest/meta-data", "URIs are not accepted",
                "hdfs://namenode/t", "URIs are not accepted",
                "lake/c/../../outside", "Only workspace admins",
                "lake.c..ok", "must be catalog.schema.table");
        int n = 0;
        for (var attempt : attempts.entrySet()) {
            var r = create(aliceToken, "lake.c.try" + n++, attempt.getKey(), "SNAPSHOT");
            assertThat(r.statusCode()).as(attempt.getKey() + " " + r.body()).isIn(400, 403);
            assertThat(r.body()).as(attempt.getKey()).contains(attempt.getValue()).doesNotContain(secret);
        }
        // admins may give paths, but not URIs that reach out, and links stay refused
        assertThat(create(t.token(), "lake.c.admin_http", "http://127.0.0.1:1/t", "SNAPSHOT").statusCode()).isEqualTo(400);
        var adminLinked = create(t.token(), "lake.c.admin_link", linkedLog.toString(), "SNAPSHOT");
        assertThat(adminLinked.statusCode()).isEqualTo(400);
        assertThat(adminLinked.body()).doesNotContain(secret);
        var adminPath = create(t.token(), "lake.c.admin_path", outside.toString(), "SNAPSHOT");
        assertThat(await(t.token(), body(adminPath).path("name").asText()).has("response")).isTrue();
    }

    @Test
    void unauthenticatedMetricsNameNoTenant() throws Exception {
        DeltaTableWriter.create(lake.resolve("m").resolve("t"), SyncedTableTest.SCHEMA, false).append(SyncedTableTest.rows(0, 3));
        t.http("PATCH", "/api/2.0/permissions/oxbow-catalogs/lake",
                "{\"access_control_list\":[{\"user_name\":\"" + ALICE + "\",\"permission_level\":\"CAN_USE\"}]}");
        await(aliceToken, body(create(aliceToken, "lake.m.metered", "lake.m.t", "SNAPSHOT")).path("name").asText());
        String anonymous = t.http("GET", "/metrics", null, null).body();
        assertThat(anonymous).contains("oxbow_compute_suspends_total").doesNotContain("alice-sync").doesNotContain("lake.m.metered")
                .doesNotContain("endpoints/primary");
        assertThat(t.http("GET", "/metrics", null, bobToken).body()).doesNotContain("alice-sync");
        String admin = t.http("GET", "/metrics", null).body();
        assertThat(admin).contains("alice-sync").contains("lake.m.metered");
    }
}
