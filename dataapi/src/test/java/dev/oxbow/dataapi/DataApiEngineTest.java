package dev.oxbow.dataapi;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Data API against a real PostgreSQL: the authenticator connects, each request switches to the caller's role, and
 * grants plus row-level security decide what the caller sees. Requests are written as PostgREST clients send them.
 */
class DataApiEngineTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static TestPostgres pg;
    private static Connection authenticator;
    private static SchemaCache cache;
    private static final DataApiEngine engine = new DataApiEngine(new DataApiSettings(List.of("api"), null, 1000, null, null));

    @BeforeAll
    static void start() throws Exception {
        pg = new TestPostgres();
        try (Connection c = pg.connect(TestPostgres.SUPERUSER); Statement st = c.createStatement()) {
            st.execute("""
                    CREATE ROLE authenticator LOGIN NOINHERIT;
                    CREATE ROLE web_user NOLOGIN; CREATE ROLE other_user NOLOGIN; CREATE ROLE anon NOLOGIN;
                    GRANT web_user, other_user, anon TO authenticator;
                    CREATE SCHEMA api;
                    CREATE TABLE api.authors (id int PRIMARY KEY, name text NOT NULL, born date);
                    CREATE TABLE api.books (id int PRIMARY KEY, title text NOT NULL, author_id int REFERENCES api.authors, price numeric(8,2),
                                            tags text[], body tsvector);
                    CREATE TABLE api.secret (id int PRIMARY KEY, v text);
                    CREATE TABLE api.notes (id serial PRIMARY KEY, owner text NOT NULL DEFAULT current_user, note text);
                    ALTER TABLE api.notes ENABLE ROW LEVEL SECURITY;
                    CREATE POLICY own ON api.notes USING (owner = current_user) WITH CHECK (owner = current_user);
                    INSERT INTO api.authors VALUES (1, 'Ursula', '1929-10-21'), (2, 'Iain', '1954-02-16'), (3, 'Nobody', NULL);
                    INSERT INTO api.books VALUES
                      (1, 'The Dispossessed', 1, 9.50, '{scifi,classic}', to_tsvector('english', 'anarchist moon planet')),
                      (2, 'The Lathe of Heaven', 1, 7.25, '{scifi}', to_tsvector('english', 'dreams change reality')),
                      (3, 'Excession', 2, 12.00, '{scifi,culture}', to_tsvector('english', 'outside context problem')),
                      (4, 'The Wasp Factory', 2, NULL, '{}', to_tsvector('english', 'island'));
                    CREATE FUNCTION api.add(a int, b int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT a + b';
                    CREATE FUNCTION api.books_by(author int) RETURNS SETOF api.books LANGUAGE sql STABLE AS
                      'SELECT * FROM api.books WHERE author_id = author ORDER BY id';
                    CREATE FUNCTION api.whoami() RETURNS text LANGUAGE sql STABLE AS 'SELECT current_user';
                    CREATE FUNCTION api.nap(seconds float8) RETURNS void LANGUAGE sql AS 'SELECT pg_sleep(seconds)';
                    GRANT USAGE ON SCHEMA api TO web_user, other_user, anon;
                    GRANT SELECT, INSERT, UPDATE, DELETE ON api.authors, api.books, api.notes TO web_user, other_user;
                    GRANT USAGE ON SEQUENCE api.notes_id_seq TO web_user, other_user;
                    GRANT SELECT ON api.books TO anon;
                    """);
        }
        authenticator = pg.connect("authenticator");
        cache = SchemaCache.load(authenticator, List.of("api"));
    }

    @AfterAll
    static void stop() throws Exception {
        if (authenticator != null) {
            authenticator.close();
        }
        if (pg != null) {
            pg.close();
        }
    }

    /** A request as a client writes it: {@code GET /books?select=id&id=eq.1}; headers as name, value pairs. */
    private static DataApiResponse call(String role, String method, String target, String body, String... headers) {
        int q = target.indexOf('?');
        String path = q < 0 ? target : target.substring(0, q);
        List<Map.Entry<String, String>> query = new ArrayList<>();
        if (q >= 0) {
            for (String pair : target.substring(q + 1).split("&")) {
                int eq = pair.indexOf('=');
                query.add(Map.entry(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                        URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8)));
            }
        }
        Map<String, String> h = new HashMap<>();
        for (int i = 0; i < headers.length; i += 2) {
            h.put(headers[i], headers[i + 1]);
        }
        return engine.handle(authenticator, cache, role, Map.of("role", role == null ? "anon" : role), new DataApiRequest(method, path, query, h,
                body == null ? null : body.getBytes(StandardCharsets.UTF_8)));
    }

    private static JsonNode json(DataApiResponse r) throws Exception {
        return JSON.readTree(r.body());
    }

    private static List<String> column(DataApiResponse r, String field) throws Exception {
        List<String> out = new ArrayList<>();
        json(r).forEach(n -> out.add(n.path(field).asText()));
        return out;
    }

    @Test
    void readsWithVerticalAndHorizontalFilteringOrderAndPaging() throws Exception {
        DataApiResponse r = call("web_user", "GET", "/books?select=id,name:title,price::text&price=gte.7.25&order=price.desc", null);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(json(r).toString()).isEqualTo("[{\"id\":3,\"name\":\"Excession\",\"price\":\"12.00\"},"
                + "{\"id\":1,\"name\":\"The Dispossessed\",\"price\":\"9.50\"},{\"id\":2,\"name\":\"The Lathe of Heaven\",\"price\":\"7.25\"}]");
        assertThat(column(call("web_user", "GET", "/books?select=id&id=in.(1,3,5)&order=id", null), "id")).containsExactly("1", "3");
        assertThat(column(call("web_user", "GET", "/books?select=id&price=is.null", null), "id")).containsExactly("4");
        assertThat(column(call("web_user", "GET", "/books?select=id&title=like.*The*&price=not.is.null&order=id", null), "id"))
                .containsExactly("1", "2");
        assertThat(column(call("web_user", "GET", "/books?select=id&title=ilike.*EXCESS*", null), "id")).containsExactly("3");
        assertThat(column(call("web_user", "GET", "/books?select=id&or=(price.lt.8,and(author_id.eq.2,price.is.null))&order=id", null), "id"))
                .containsExactly("2", "4");
        assertThat(column(call("web_user", "GET", "/books?select=id&tags=cs.{classic}", null), "id")).containsExactly("1");
        assertThat(column(call("web_user", "GET", "/books?select=id&body=fts(english).planet", null), "id")).containsExactly("1");
        assertThat(column(call("web_user", "GET", "/books?select=id&body=wfts(english).dreams%20reality", null), "id")).containsExactly("2");
        assertThat(column(call("web_user", "GET", "/books?select=id&id=neq.1&order=id.desc&limit=2&offset=1", null), "id"))
                .containsExactly("3", "2");
        assertThat(column(call("web_user", "GET", "/books?select=price&order=price.desc.nullslast", null), "price").get(3)).isEqualTo("null");

        DataApiResponse ranged = call("web_user", "GET", "/books?select=id&order=id", null, "Range", "1-2", "Prefer", "count=exact");
        assertThat(ranged.status()).isEqualTo(206);
        assertThat(ranged.headers()).containsEntry("Content-Range", "1-2/4");
        assertThat(column(ranged, "id")).containsExactly("2", "3");
        assertThat(call("web_user", "GET", "/books?select=id&id=eq.99", null).headers()).containsEntry("Content-Range", "*/*");
    }

    @Test
    void embedsAlongForeignKeysBothWays() throws Exception {
        JsonNode books = json(call("web_user", "GET", "/books?select=title,author:authors(name)&id=eq.3", null));
        assertThat(books.toString()).isEqualTo("[{\"title\":\"Excession\",\"author\":{\"name\":\"Iain\"}}]");
        JsonNode authors = json(call("web_user", "GET", "/authors?select=name,books(id,title)&order=id", null));
        assertThat(authors.get(0).path("books")).hasSize(2);
        assertThat(authors.get(2).path("books")).isEmpty();
        DataApiResponse none = call("web_user", "GET", "/books?select=title,secret(v)", null);
        assertThat(none.status()).isEqualTo(400);
        assertThat(json(none).path("code").asText()).isEqualTo("PGRST200");
    }

    @Test
    void singleObjectCsvAndHead() throws Exception {
        DataApiResponse one = call("web_user", "GET", "/authors?select=name&id=eq.1", null, "Accept", "application/vnd.pgrst.object+json");
        assertThat(json(one).toString()).isEqualTo("{\"name\":\"Ursula\"}");
        DataApiResponse many = call("web_user", "GET", "/authors?select=name", null, "Accept", "application/vnd.pgrst.object+json");
        assertThat(many.status()).isEqualTo(406);
        assertThat(json(many).path("code").asText()).isEqualTo("PGRST116");
        DataApiResponse csv = call("web_user", "GET", "/authors?select=id,name&order=id&limit=2", null, "Accept", "text/csv");
        assertThat(csv.body()).isEqualTo("id,name\n1,Ursula\n2,Iain\n");
        DataApiResponse head = call("web_user", "HEAD", "/authors", null, "Prefer", "count=exact");
        assertThat(head.body()).isEmpty();
        assertThat(head.headers()).containsEntry("Content-Range", "0-2/3");
    }

    @Test
    void insertsUpsertsUpdatesAndDeletes() throws Exception {
        DataApiResponse created = call("web_user", "POST", "/authors", "{\"id\":10,\"name\":\"Octavia\"}");
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        assertThat(created.body()).isEmpty();
        DataApiResponse bulk = call("web_user", "POST", "/authors?select=id,name", "[{\"id\":11,\"name\":\"N.K.\"},{\"id\":12,\"name\":\"Ted\"}]",
                "Prefer", "return=representation");
        assertThat(bulk.status()).isEqualTo(201);
        assertThat(column(bulk, "name")).containsExactly("N.K.", "Ted");
        DataApiResponse duplicate = call("web_user", "POST", "/authors", "{\"id\":10,\"name\":\"Again\"}");
        assertThat(duplicate.status()).isEqualTo(409);
        assertThat(json(duplicate).path("code").asText()).isEqualTo("23505");
        DataApiResponse upsert = call("web_user", "POST", "/authors", "[{\"id\":10,\"name\":\"Octavia E.\"},{\"id\":13,\"name\":\"Gene\"}]",
                "Prefer", "resolution=merge-duplicates,return=representation");
        assertThat(upsert.status()).as(upsert.body()).isEqualTo(201);
        assertThat(column(upsert, "name")).containsExactly("Octavia E.", "Gene");
        DataApiResponse ignored = call("web_user", "POST", "/authors?on_conflict=id", "{\"id\":13,\"name\":\"Other\"}",
                "Prefer", "resolution=ignore-duplicates,return=representation");
        assertThat(json(ignored)).isEmpty();
        DataApiResponse put = call("web_user", "PUT", "/authors?id=eq.14", "{\"id\":14,\"name\":\"Put\"}");
        assertThat(put.status()).isEqualTo(201);

        DataApiResponse patched = call("web_user", "PATCH", "/authors?id=gte.12&select=id,name&order=id", "{\"name\":\"Renamed\"}",
                "Prefer", "return=representation");
        assertThat(patched.status()).as(patched.body()).isEqualTo(200);
        assertThat(column(patched, "name")).containsOnly("Renamed").hasSize(3);
        DataApiResponse deleted = call("web_user", "DELETE", "/authors?id=gte.10", null);
        assertThat(deleted.status()).isEqualTo(204);
        assertThat(deleted.headers()).containsEntry("Content-Range", "*/5");
        assertThat(column(call("web_user", "GET", "/authors?select=id&order=id", null), "id")).containsExactly("1", "2", "3");
        DataApiResponse badKeys = call("web_user", "POST", "/authors", "[{\"id\":20,\"name\":\"a\"},{\"id\":21}]");
        assertThat(json(badKeys).path("code").asText()).isEqualTo("PGRST102");
    }

    @Test
    void callsFunctions() throws Exception {
        assertThat(call("web_user", "POST", "/rpc/add", "{\"a\":2,\"b\":40}").body()).isEqualTo("42");
        assertThat(call("web_user", "GET", "/rpc/add?a=1&b=2", null).body()).isEqualTo("3");
        assertThat(column(call("web_user", "POST", "/rpc/books_by", "{\"author\":2}"), "title")).containsExactly("Excession", "The Wasp Factory");
        assertThat(call("other_user", "POST", "/rpc/whoami", null).body()).isEqualTo("\"other_user\"");
        DataApiResponse missing = call("web_user", "POST", "/rpc/add", "{\"a\":1,\"c\":2}");
        assertThat(missing.status()).isEqualTo(404);
        assertThat(json(missing).path("code").asText()).isEqualTo("PGRST202");
    }

    @Test
    void grantsAndRowLevelSecurityDecideWhatEachCallerSees() throws Exception {
        assertThat(call("web_user", "POST", "/notes", "{\"note\":\"mine\"}").status()).isEqualTo(201);
        assertThat(call("other_user", "POST", "/notes", "{\"note\":\"theirs\"}").status()).isEqualTo(201);
        assertThat(column(call("web_user", "GET", "/notes", null), "note")).containsExactly("mine");
        assertThat(column(call("other_user", "GET", "/notes", null), "note")).containsExactly("theirs");
        // writing a row as someone else is refused by the policy's WITH CHECK
        DataApiResponse forged = call("web_user", "POST", "/notes", "{\"note\":\"x\",\"owner\":\"other_user\"}");
        assertThat(forged.status()).isEqualTo(403);
        assertThat(json(forged).path("code").asText()).isEqualTo("42501");
        // no grant: refused; anon reads books only
        assertThat(call("web_user", "GET", "/secret", null).status()).isEqualTo(403);
        assertThat(call(null, "GET", "/authors", null).status()).isIn(401, 403);
        assertThat(call("anon", "GET", "/books?select=id&id=eq.1", null).status()).isEqualTo(200);
        assertThat(call("anon", "POST", "/books", "{\"id\":9,\"title\":\"x\"}").status()).isEqualTo(403);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "/books?select=id\";DROP TABLE api.books;--",
            "/books?select=id::text;DROP TABLE api.books",
            "/books?select=id&order=id;DROP TABLE api.books",
            "/books?select=id&order=id.desc,(SELECT 1)",
            "/books?select=id&id=eq.1;DROP TABLE api.books",
            "/books?select=id&id=in.(1);DROP TABLE api.books",
            "/books?select=id&id%22%3BDROP%20TABLE%20api.books%3B--=eq.1",
            "/books?select=id&or=(id.eq.1)%20OR%201=1",
            "/books?select=id&body=fts(english')%20OR%201=1--).x",
            "/books%22%3BDROP%20TABLE%20api.books%3B--",
            "/rpc/add?a=1);DROP TABLE api.books;--&b=1",
            "/books?select=title,authors(name%22%20FROM%20api.secret--)",
    })
    void injectionAttemptsAreRefusedAndChangeNothing(String target) throws Exception {
        DataApiResponse r = call("web_user", "GET", target.replace(" ", "%20"), null);
        assertThat(r.status()).as(r.body()).isBetween(400, 499);
        assertThat(json(r).has("code")).isTrue();
        try (Connection c = pg.connect(TestPostgres.SUPERUSER); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*) FROM api.books")) {
            rs.next();
            assertThat(rs.getInt(1)).isEqualTo(4);
        }
        // the connection is still healthy and back outside any transaction
        assertThat(authenticator.getAutoCommit()).isTrue();
        assertThat(call("web_user", "GET", "/books?select=id&id=eq.1", null).status()).isEqualTo(200);
    }

    @Test
    void unknownThingsGetPostgrestErrors() throws Exception {
        DataApiResponse table = call("web_user", "GET", "/nope", null);
        assertThat(table.status()).isEqualTo(404);
        assertThat(json(table).path("code").asText()).isEqualTo("PGRST205");
        DataApiResponse column = call("web_user", "GET", "/books?nope=eq.1", null);
        assertThat(json(column).path("code").asText()).isEqualTo("PGRST204");
        DataApiResponse badValue = call("web_user", "GET", "/books?id=eq.abc", null);
        assertThat(badValue.status()).isEqualTo(400);
        assertThat(json(badValue).path("code").asText()).isEqualTo("22P02");
        DataApiResponse op = call("web_user", "GET", "/books?id=foo.1", null);
        assertThat(json(op).path("code").asText()).isEqualTo("PGRST100");
        DataApiResponse schema = call("web_user", "GET", "/books", null, "Accept-Profile", "public");
        assertThat(schema.status()).isEqualTo(406);
        assertThat(json(call("web_user", "GET", "/", null)).path("paths").has("/books")).isTrue();
    }

    /** postgrest-js quotes names in columns= and on_conflict=; a quoted name still has to be a real column. */
    @Test
    void quotedColumnNamesAreUnquotedAndStillChecked() throws Exception {
        DataApiResponse bulk = call("web_user", "POST", "/authors?columns=%22id%22,%22name%22&on_conflict=%22id%22",
                "[{\"id\":20,\"name\":\"Le Guin\"},{\"id\":21,\"name\":\"Banks\"}]", "Prefer", "resolution=merge-duplicates,return=representation");
        assertThat(bulk.status()).as(bulk.body()).isEqualTo(201);
        assertThat(json(bulk)).hasSize(2);
        DataApiResponse forged = call("web_user", "POST", "/authors?columns=%22id%22,%22name%22%22);DROP%20TABLE%20api.books;--%22",
                "[{\"id\":22,\"name\":\"x\"}]");
        assertThat(forged.status()).isEqualTo(400);
        assertThat(json(call("web_user", "GET", "/books?select=id", null)).size()).isPositive();
        call("web_user", "DELETE", "/authors?id=in.(20,21)", null);
    }

    @Test
    void aggregatesWhenEnabledGroupByThePlainColumns() throws Exception {
        DataApiEngine withAggregates = new DataApiEngine(new DataApiSettings(List.of("api"), null, 1000, null, null, true));
        var r = withAggregates.handle(authenticator, cache, "web_user", Map.of(), new DataApiRequest("GET", "/books",
                List.of(Map.entry("select", "author_id,count(),price.sum()"), Map.entry("order", "author_id")), Map.of(), null));
        assertThat(json(r)).as(r.body()).isEqualTo(JSON.readTree("[{\"author_id\":1,\"count\":2,\"sum\":16.75},"
                + "{\"author_id\":2,\"count\":2,\"sum\":12.00}]"));
        var refused = call("web_user", "GET", "/books?select=count()", null);
        assertThat(refused.status()).isEqualTo(400);
        assertThat(json(refused).path("code").asText()).isEqualTo("PGRST123");
    }

    /** The timeout is set in the same pipeline as the statement: Postgres re-arms it per statement, so it applies. */
    @Test
    void theStatementTimeoutAppliesInTheOneTrip() throws Exception {
        DataApiEngine quick = new DataApiEngine(new DataApiSettings(List.of("api"), null, 1000, java.time.Duration.ofMillis(200), null));
        var r = quick.handle(authenticator, cache, "web_user", Map.of(), new DataApiRequest("POST", "/rpc/nap", List.of(), Map.of(),
                "{\"seconds\":5}".getBytes(StandardCharsets.UTF_8)));
        assertThat(r.status()).as(r.body()).isEqualTo(504);
        assertThat(json(r).path("code").asText()).isEqualTo("57014");
        // and the settings were the request's own: the connection is back to the authenticator with no timeout
        try (Statement st = authenticator.createStatement(); ResultSet rs = st.executeQuery("SELECT current_user, current_setting('statement_timeout')")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo("authenticator");
            assertThat(rs.getString(2)).isEqualTo("0");
        }
    }

    /** A name the cache lacks makes the engine check the catalog once and answer again, so a new table is served at once. */
    @Test
    void aTableNewerThanTheCacheIsServedAfterOneCheck() throws Exception {
        try (Connection c = pg.connect(TestPostgres.SUPERUSER); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE api.fresh (id int PRIMARY KEY); INSERT INTO api.fresh VALUES (1); GRANT SELECT ON api.fresh TO web_user");
        }
        int[] checks = {0};
        DataApiEngine.SchemaSource source = new DataApiEngine.SchemaSource() {
            public SchemaCache current() { return cache; }
            public SchemaCache checkedNow() throws java.sql.SQLException {
                checks[0]++;
                return SchemaCache.load(authenticator, List.of("api"));
            }
        };
        var r = engine.handle(authenticator, source, "web_user", Map.of(), new DataApiRequest("GET", "/fresh", List.of(), Map.of(), null));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("[{\"id\":1}]");
        assertThat(checks[0]).isEqualTo(1);
        var missing = engine.handle(authenticator, source, "web_user", Map.of(), new DataApiRequest("GET", "/absent", List.of(), Map.of(), null));
        assertThat(missing.status()).isEqualTo(404);
        assertThat(checks[0]).isEqualTo(2);
    }

    /** openapi_mode unset follows the caller's privileges; IGNORE_PRIVILEGES lists every exposed relation. */
    @Test
    void theOpenApiDescriptionFollowsPrivilegesUnlessTold() throws Exception {
        JsonNode anon = json(call("anon", "GET", "/", null)).path("paths");
        assertThat(anon.has("/books")).isTrue();
        assertThat(anon.has("/authors")).isFalse();
        assertThat(anon.has("/secret")).isFalse();
        DataApiEngine ignoring = new DataApiEngine(new DataApiSettings(List.of("api"), null, 1000, null,
                DataApiSettings.OpenApiMode.IGNORE_PRIVILEGES));
        var all = ignoring.handle(authenticator, cache, "anon", Map.of(), new DataApiRequest("GET", "/", List.of(), Map.of(), null));
        assertThat(json(all).path("paths").has("/secret")).isTrue();
    }
}
