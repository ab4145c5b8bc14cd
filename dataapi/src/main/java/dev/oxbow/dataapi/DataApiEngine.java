package dev.oxbow.dataapi;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.oxbow.dataapi.SchemaCache.Relation;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Serves one PostgREST-style request on a connection: in one transaction, sent in one round trip ({@link OneTrip}), it
 * sets the search path, statement timeout and claims and switches to the caller's role ({@code set_config(…, true)},
 * so grants and row-level security decide), then runs the statement built by {@link QueryBuilder}; it all commits, or
 * an error rolls it all back. JSON is built by Postgres itself ({@code json_agg}), as PostgREST does.
 */
public final class DataApiEngine {
    /** Query parameters with a meaning of their own; every other parameter is a filter on a column. */
    private static final Set<String> RESERVED = Set.of("select", "order", "limit", "offset", "on_conflict", "columns", "or", "and",
            "not.or", "not.and");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final DataApiSettings settings;

    public DataApiEngine(DataApiSettings settings) {
        this.settings = settings;
    }

    public DataApiSettings settings() {
        return settings;
    }

    /** Where the schema cache comes from: the current one, and one checked against the catalog right now. */
    public interface SchemaSource {
        SchemaCache current() throws SQLException;

        /** The cache as the catalog is now (after a request named something the current one lacks). */
        SchemaCache checkedNow() throws SQLException;

        static SchemaSource fixed(SchemaCache cache) {
            return new SchemaSource() {
                public SchemaCache current() { return cache; }
                public SchemaCache checkedNow() { return cache; }
            };
        }
    }

    /**
     * Answers {@code request} as {@code role} (a Postgres role the connection may switch to); {@code claims} become
     * {@code request.jwt.claims} for policies. Never throws for a bad request: errors come back as PostgREST's JSON.
     * {@code c} must be in auto-commit mode: the request is one implicit transaction sent in one round trip.
     */
    public DataApiResponse handle(Connection c, SchemaCache cache, String role, Map<String, Object> claims, DataApiRequest request) {
        return handle(c, SchemaSource.fixed(cache), role, claims, request);
    }

    public DataApiResponse handle(Connection c, SchemaSource schema, String role, Map<String, Object> claims, DataApiRequest request) {
        try {
            SqlText prelude = prelude(role, claims);
            try {
                return route(new Trip(c, prelude), schema.current(), request);
            } catch (PostgrestException | SQLException e) {
                // a relation, column or function the cache lacks (or still has) may be newer than the cache: check
                // the catalog once and answer again; the failed attempt changed nothing (checks run before any
                // SQL, and a failed statement rolls its transaction back)
                if (!staleSchema(e)) {
                    throw e;
                }
                return route(new Trip(c, prelude), schema.checkedNow(), request);
            }
        } catch (PostgrestException e) {
            return error(e);
        } catch (SQLException e) {
            return error(fromPostgres(e, role == null));
        }
    }

    private static final Set<String> STALE_CODES = Set.of("PGRST200", "PGRST202", "PGRST204", "PGRST205");
    private static final Set<String> STALE_STATES = Set.of("42P01", "42703", "42883");

    private static boolean staleSchema(Exception e) {
        return e instanceof PostgrestException p ? STALE_CODES.contains(p.code())
                : STALE_STATES.contains(((SQLException) e).getSQLState());
    }

    /** The request's settings, first in its transaction; the role is switched last, as the settings are Oxbow's. */
    private SqlText prelude(String role, Map<String, Object> claims) {
        List<String> path = new ArrayList<>(settings.schemas());
        settings.extraSearchPath().stream().filter(s -> !path.contains(s)).forEach(path::add);
        String claimsJson;
        try {
            claimsJson = JSON.writeValueAsString(claims == null ? Map.of() : claims);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        SqlText sql = new SqlText().sql("SELECT set_config('search_path', ").param(path.stream().map(SqlText::quote).collect(Collectors.joining(", ")))
                .sql(", true), set_config('statement_timeout', ").param(Long.toString(settings.statementTimeout().toMillis()))
                .sql(", true), set_config('request.jwt.claims', ").param(claimsJson).sql(", true)");
        if (role != null) {
            sql.sql(", set_config('role', ").param(role).sql(", true)");
        }
        return sql;
    }

    /** One request's trip to Postgres: exactly one {@link #run} per request, so it stays one transaction. */
    private static final class Trip {
        private final Connection c;
        private final SqlText prelude;
        private boolean used;

        Trip(Connection c, SqlText prelude) {
            this.c = c;
            this.prelude = prelude;
        }

        List<OneTrip.Result> run(SqlText... statements) throws SQLException {
            if (used) {
                throw new IllegalStateException("a request runs its statements in one trip");
            }
            used = true;
            return OneTrip.run(c, prelude, List.of(statements));
        }

        OneTrip.Result one(SqlText statement) throws SQLException {
            return run(statement).get(0);
        }
    }

    private DataApiResponse route(Trip c, SchemaCache cache, DataApiRequest r) throws SQLException {
        String schema = profile(r);
        String path = r.path().startsWith("/") ? r.path().substring(1) : r.path();
        if (path.isEmpty()) {
            return openApi(c, cache, schema);
        }
        if (path.startsWith("rpc/")) {
            return rpc(c, cache, cache.function(schema, path.substring(4)), r);
        }
        if (path.contains("/")) {
            throw new PostgrestException(404, "PGRST125", "Invalid path specified in request URL", null, null);
        }
        Relation rel = cache.relation(schema, path);
        return switch (r.method()) {
            case "GET", "HEAD" -> read(c, cache, rel, r);
            case "POST" -> insert(c, cache, rel, r, false);
            case "PUT" -> insert(c, cache, rel, r, true);
            case "PATCH" -> update(c, cache, rel, r);
            case "DELETE" -> delete(c, cache, rel, r);
            default -> throw new PostgrestException(405, "PGRST117", "Unsupported HTTP method: " + r.method(), null, null);
        };
    }

    /** {@code Accept-Profile} (reads) or {@code Content-Profile} (writes) picks one of the exposed schemas. */
    private String profile(DataApiRequest r) {
        boolean read = r.method().equals("GET") || r.method().equals("HEAD");
        String wanted = r.header(read ? "accept-profile" : "content-profile").orElse(settings.schemas().get(0));
        if (!settings.schemas().contains(wanted)) {
            throw new PostgrestException(406, "PGRST106", "The schema must be one of the following: "
                    + String.join(", ", settings.schemas()), null, null);
        }
        return wanted;
    }

    private List<Condition> filters(DataApiRequest r) {
        List<Condition> out = new ArrayList<>();
        for (Map.Entry<String, String> e : r.query()) {
            String key = e.getKey();
            switch (key) {
                case "or", "and" -> out.add(FilterParser.logic(key.equals("and"), false, e.getValue()));
                case "not.or", "not.and" -> out.add(FilterParser.logic(key.equals("not.and"), true, e.getValue()));
                default -> {
                    if (!RESERVED.contains(key) && !key.contains(".")) {
                        out.add(FilterParser.compare(key, e.getValue()));
                    } else if (!RESERVED.contains(key)) {
                        throw new PostgrestException(400, "PGRST108", "Filters on embedded resources ('" + key
                                + "') are not supported by Oxbow yet", null, "Filter the top-level relation, or use a view.");
                    }
                }
            }
        }
        return out;
    }

    /** limit/offset from the query and the {@code Range} header, capped by db_max_rows. */
    private record Window(Long limit, long offset) {}

    private Window window(DataApiRequest r) {
        Long limit = r.param("limit").map(v -> number("limit", v)).orElse(null);
        long offset = r.param("offset").map(v -> number("offset", v)).orElse(0L);
        var range = r.header("range");
        if (range.isPresent() && r.method().equals("GET")) {
            var m = java.util.regex.Pattern.compile("^(\\d+)-(\\d*)$").matcher(range.get().strip());
            if (!m.matches()) {
                throw new PostgrestException(416, "PGRST103", "Requested range not satisfiable", "Range is first-last, e.g. 0-9", null);
            }
            offset = Long.parseLong(m.group(1));
            if (!m.group(2).isEmpty()) {
                long last = Long.parseLong(m.group(2));
                if (last < offset) {
                    throw new PostgrestException(416, "PGRST103", "Requested range not satisfiable", null, null);
                }
                limit = limit == null ? last - offset + 1 : Math.min(limit, last - offset + 1);
            }
        }
        if (settings.maxRows() != null) {
            limit = limit == null ? settings.maxRows() : Math.min(limit, settings.maxRows());
        }
        return new Window(limit, offset);
    }

    private static long number(String field, String v) {
        try {
            long n = Long.parseLong(v);
            if (n < 0) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw PostgrestException.parse("\"failed to parse " + field + " parameter (" + v + ")\"", field + " is a non-negative integer");
        }
    }

    private DataApiResponse read(Trip c, SchemaCache cache, Relation rel, DataApiRequest r) throws SQLException {
        QueryBuilder q = new QueryBuilder(cache);
        List<Select> select = Select.parse(r.param("select").orElse(null));
        if (!settings.aggregatesEnabled() && Select.hasAggregate(select)) {
            throw new PostgrestException(400, "PGRST123", "Use of aggregate functions is not allowed", null,
                    "Set db_aggregates_enabled on the data API to allow count(), sum(), avg(), min() and max() in select=.");
        }
        List<Condition> filters = filters(r);
        Window w = window(r);
        SqlText where = q.where(rel, filters);
        SqlText inner = new SqlText().sql("SELECT ").append(q.items(rel, select, 0)).sql(" FROM " + rel.qualified() + " _0")
                .append(where).append(q.groupBy(rel, select)).append(q.orderBy(rel, Order.parse(r.param("order").orElse(null))));
        if (w.limit() != null) {
            inner.sql(" LIMIT ").param(w.limit());
        }
        if (w.offset() > 0) {
            inner.sql(" OFFSET ").param(w.offset());
        }
        // count=planned and count=estimated are answered exactly too: the count is read in the same trip anyway
        boolean counted = r.prefer("count").filter(v -> Set.of("exact", "planned", "estimated").contains(v)).isPresent();
        SqlText total = counted ? new SqlText().sql("(SELECT count(*) FROM " + rel.qualified() + " _0").append(where).sql(")")
                : new SqlText().sql("NULL::bigint");
        Map<String, String> headers = new LinkedHashMap<>();
        String accept = r.header("accept").orElse("application/json");
        String body;
        long rows;
        Long count;
        if (accept.contains("text/csv")) {
            List<OneTrip.Result> results = c.run(new SqlText().sql("SELECT ").append(total), inner);
            count = counted ? Long.valueOf(results.get(0).cell(0, 0)) : null;
            body = csv(results.get(1));
            rows = results.get(1).rows().size();
            headers.put("Content-Type", "text/csv; charset=utf-8");
        } else {
            OneTrip.Result result = c.one(new SqlText().sql("SELECT coalesce(json_agg(_t), '[]')::text, count(*), ").append(total)
                    .sql(" FROM (").append(inner).sql(") _t"));
            body = result.cell(0, 0);
            rows = Long.parseLong(result.cell(0, 1));
            count = result.cell(0, 2) == null ? null : Long.valueOf(result.cell(0, 2));
            if (accept.contains("application/vnd.pgrst.object+json")) {
                body = single(body, rows);
            }
        }
        headers.put("Content-Range", contentRange(w.offset(), rows, count));
        if (counted) {
            headers.put("Preference-Applied", "count=exact");
        }
        int status = count != null && rows < count && (w.offset() > 0 || w.limit() != null) ? 206 : 200;
        if (count != null && w.offset() > count) {
            throw new PostgrestException(416, "PGRST103", "Requested range not satisfiable",
                    "An offset of " + w.offset() + " was requested, but there are only " + count + " rows.", null);
        }
        if (r.method().equals("HEAD")) {
            return DataApiResponse.empty(status, headers);
        }
        return DataApiResponse.json(status, body, headers);
    }

    private static String contentRange(long offset, long rows, Long total) {
        String range = rows == 0 ? "*" : offset + "-" + (offset + rows - 1);
        return range + "/" + (total == null ? "*" : total);
    }

    private static String single(String jsonArray, long rows) {
        if (rows != 1) {
            throw new PostgrestException(406, "PGRST116", "JSON object requested, multiple (or no) rows returned",
                    "The result contains " + rows + " rows", null);
        }
        try {
            return JSON.writeValueAsString(JSON.readTree(jsonArray).get(0));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private JsonNode body(DataApiRequest r) {
        if (r.body().length == 0) {
            throw new PostgrestException(400, "PGRST102", "Empty or invalid json", null, null);
        }
        try {
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new PostgrestException(400, "PGRST102", "Empty or invalid json", null, null);
        }
    }

    /** The columns a write names: the {@code columns} parameter, else the keys of the body's (first) object. */
    private static List<String> columns(Relation rel, DataApiRequest r, JsonNode body) {
        Set<String> cols = new LinkedHashSet<>();
        if (r.param("columns").isPresent()) {
            for (String col : FilterParser.split(r.param("columns").get())) {
                cols.add(rel.column(unquote(col.strip())));
            }
        } else {
            JsonNode first = body.isArray() ? body.path(0) : body;
            if (!first.isObject()) {
                throw new PostgrestException(400, "PGRST102", "All object keys must match", "the body is a JSON object or an array of objects", null);
            }
            first.fieldNames().forEachRemaining(f -> cols.add(rel.column(f)));
            if (body.isArray()) {
                for (JsonNode o : body) {
                    Set<String> keys = new LinkedHashSet<>();
                    o.fieldNames().forEachRemaining(keys::add);
                    if (!o.isObject() || !keys.equals(cols)) {
                        throw new PostgrestException(400, "PGRST102", "All object keys must match", null, null);
                    }
                }
            }
        }
        if (cols.isEmpty()) {
            throw new PostgrestException(400, "PGRST102", "Empty or invalid json", "no columns to write", null);
        }
        return List.copyOf(cols);
    }

    /** {@code "title"} as clients quote names in {@code columns=} and {@code on_conflict=} (postgrest-js does); checked against the cache after. */
    static String unquote(String name) {
        if (name.length() >= 2 && name.startsWith("\"") && name.endsWith("\"")) {
            return name.substring(1, name.length() - 1).replace("\"\"", "\"");
        }
        return name;
    }

    private static SqlText columnList(List<String> cols, String prefix) {
        SqlText out = new SqlText();
        for (String col : cols) {
            if (!out.isEmpty()) {
                out.sql(", ");
            }
            out.sql(prefix).ident(col);
        }
        return out;
    }

    private DataApiResponse insert(Trip c, SchemaCache cache, Relation rel, DataApiRequest r, boolean put) throws SQLException {
        if (!rel.insertable()) {
            throw new PostgrestException(405, "PGRST117", "Cannot insert into " + rel.name() + ": only tables take writes", null, null);
        }
        JsonNode body = body(r);
        List<String> cols = columns(rel, r, body);
        SqlText sql = new SqlText().sql("INSERT INTO " + rel.qualified() + " AS _0 (").append(columnList(cols, ""))
                .sql(") SELECT ").append(columnList(cols, "_b.")).sql(" FROM json_populate_recordset(NULL::" + rel.qualified()
                        + ", CAST(? AS json)) _b");
        sql.params().add(body.isArray() ? body.toString() : "[" + body + "]");
        List<String> conflict = null;
        String resolution = r.prefer("resolution").orElse(null);
        if (put) {
            conflict = rel.primaryKey();
            if (conflict.isEmpty() || body.isArray()) {
                throw new PostgrestException(405, "PGRST105", "PUT needs a table with a primary key and one JSON object", null, null);
            }
            resolution = "merge-duplicates";
        } else if (resolution != null) {
            conflict = r.param("on_conflict").map(v -> FilterParser.split(v).stream().map(s -> rel.column(unquote(s.strip()))).toList())
                    .orElse(rel.primaryKey());
            if (conflict.isEmpty()) {
                throw new PostgrestException(400, "PGRST100", "Upsert needs on_conflict columns or a primary key", null, null);
            }
        }
        if (resolution != null) {
            sql.sql(" ON CONFLICT (").append(columnList(conflict, "")).sql(")");
            switch (resolution) {
                case "merge-duplicates" -> {
                    List<String> set = cols.stream().filter(col -> !rel.primaryKey().contains(col)).toList();
                    if (set.isEmpty()) {
                        sql.sql(" DO NOTHING");
                    } else {
                        sql.sql(" DO UPDATE SET ");
                        for (int i = 0; i < set.size(); i++) {
                            sql.sql(i > 0 ? ", " : "").ident(set.get(i)).sql(" = EXCLUDED.").ident(set.get(i));
                        }
                    }
                }
                case "ignore-duplicates" -> sql.sql(" DO NOTHING");
                default -> throw PostgrestException.parse("\"unknown resolution " + resolution + "\"", "use merge-duplicates or ignore-duplicates");
            }
        }
        return written(c, cache, rel, r, sql, 201);
    }

    private DataApiResponse update(Trip c, SchemaCache cache, Relation rel, DataApiRequest r) throws SQLException {
        JsonNode body = body(r);
        if (!body.isObject()) {
            throw new PostgrestException(400, "PGRST102", "PATCH takes one JSON object", null, null);
        }
        List<String> cols = columns(rel, r, body);
        QueryBuilder q = new QueryBuilder(cache);
        SqlText sql = new SqlText().sql("UPDATE " + rel.qualified() + " AS _0 SET (").append(columnList(cols, ""))
                .sql(") = (SELECT ").append(columnList(cols, "_b.")).sql(" FROM json_populate_record(NULL::" + rel.qualified()
                        + ", CAST(? AS json)) _b)");
        sql.params().add(body.toString());
        sql.append(q.where(rel, filters(r)));
        return written(c, cache, rel, r, sql, 200);
    }

    private DataApiResponse delete(Trip c, SchemaCache cache, Relation rel, DataApiRequest r) throws SQLException {
        QueryBuilder q = new QueryBuilder(cache);
        SqlText sql = new SqlText().sql("DELETE FROM " + rel.qualified() + " AS _0").append(q.where(rel, filters(r)));
        return written(c, cache, rel, r, sql, 200);
    }

    /** Runs a write with RETURNING and answers per {@code Prefer: return=minimal|headers-only|representation}. */
    private DataApiResponse written(Trip c, SchemaCache cache, Relation rel, DataApiRequest r, SqlText write, int status)
            throws SQLException {
        String ret = r.prefer("return").orElse("minimal");
        QueryBuilder q = new QueryBuilder(cache);
        SqlText sql = new SqlText().sql("WITH _w AS (").append(write).sql(" RETURNING _0.*) SELECT coalesce(json_agg(_t), '[]')::text, count(*) FROM (");
        if (ret.equals("representation")) {
            sql.sql("SELECT ").append(q.items(rel, Select.parse(r.param("select").orElse(null)), 0)).sql(" FROM _w _0");
        } else {
            sql.sql("SELECT 1 FROM _w");
        }
        sql.sql(") _t");
        OneTrip.Result result = c.one(sql);
        long rows = Long.parseLong(result.cell(0, 1));
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Content-Range", "*/" + rows);
        if (ret.equals("representation")) {
            String json = result.cell(0, 0);
            String body = r.header("accept").orElse("").contains("application/vnd.pgrst.object+json") ? single(json, rows) : json;
            return DataApiResponse.json(status, body, headers);
        }
        return DataApiResponse.empty(status == 201 ? 201 : 204, headers);
    }

    private DataApiResponse rpc(Trip c, SchemaCache cache, SchemaCache.Function f, DataApiRequest r) throws SQLException {
        Map<String, String> args = new LinkedHashMap<>();
        if (r.method().equals("GET") || r.method().equals("HEAD")) {
            if (f.isVolatile()) {
                throw new PostgrestException(405, "PGRST101", "Cannot call a volatile function with GET; use POST", null, null);
            }
            for (Map.Entry<String, String> e : r.query()) {
                args.put(e.getKey(), e.getValue());
            }
        } else if (r.method().equals("POST")) {
            JsonNode body = r.body().length == 0 ? JSON.createObjectNode() : body(r);
            if (!body.isObject()) {
                throw new PostgrestException(400, "PGRST102", "RPC takes a JSON object of named arguments", null, null);
            }
            body.fields().forEachRemaining(e -> args.put(e.getKey(), e.getValue().isTextual() ? e.getValue().asText()
                    : e.getValue().isNull() ? null : e.getValue().toString()));
        } else {
            throw new PostgrestException(405, "PGRST101", "Only GET and POST call functions", null, null);
        }
        Map<String, SchemaCache.Argument> known = f.arguments().stream()
                .collect(Collectors.toMap(SchemaCache.Argument::name, a -> a, (a, b) -> a, LinkedHashMap::new));
        for (String name : args.keySet()) {
            if (!known.containsKey(name)) {
                throw new PostgrestException(404, "PGRST202", "Could not find the function " + f.schema() + "." + f.name()
                        + "(" + String.join(", ", args.keySet()) + ") in the schema cache", null,
                        "Its arguments are: " + String.join(", ", known.keySet()));
            }
        }
        for (SchemaCache.Argument a : f.arguments()) {
            if (!a.hasDefault() && !args.containsKey(a.name())) {
                throw new PostgrestException(404, "PGRST202", "Could not find the function " + f.schema() + "." + f.name()
                        + " without argument " + a.name() + " in the schema cache", null, null);
            }
        }
        SqlText call = new SqlText().sql(f.qualified() + "(");
        boolean first = true;
        for (Map.Entry<String, String> e : args.entrySet()) {
            call.sql(first ? "" : ", ").ident(e.getKey()).sql(" => ").value(e.getValue(), known.get(e.getKey()).type());
            first = false;
        }
        call.sql(")");
        if (f.returnType().equals("void")) {
            c.one(new SqlText().sql("SELECT ").append(call));
            return DataApiResponse.empty(204, Map.of());
        }
        SqlText sql = f.returnsSet() || f.returnsRow()
                ? new SqlText().sql("SELECT coalesce(json_agg(_t), '[]')::text, count(*) FROM ").append(call).sql(" _t")
                : new SqlText().sql("SELECT to_json(").append(call).sql(")::text, 1");
        OneTrip.Result result = c.one(sql);
        String body = result.cell(0, 0);
        if (!f.returnsSet() && f.returnsRow()) {
            body = single(body, Long.parseLong(result.cell(0, 1)));
        }
        return DataApiResponse.json(200, body, Map.of());
    }

    /**
     * A Swagger 2.0 description of the exposed relations and functions, as PostgREST serves at the root. Unless
     * openapi_mode is IGNORE_PRIVILEGES it lists only the relations the caller holds a privilege on.
     */
    private DataApiResponse openApi(Trip c, SchemaCache cache, String schema) throws SQLException {
        if (settings.openApiMode() == DataApiSettings.OpenApiMode.DISABLED) {
            throw new PostgrestException(404, "PGRST126", "Open API has been disabled for this database", null, null);
        }
        List<Relation> shown = cache.relations().values().stream().filter(rel -> rel.schema().equals(schema)).toList();
        if (settings.openApiMode() == DataApiSettings.OpenApiMode.FOLLOW_PRIVILEGES && !shown.isEmpty()) {
            SqlText check = new SqlText().sql("SELECT ");
            for (int i = 0; i < shown.size(); i++) {
                check.sql(i > 0 ? ", " : "").sql("has_table_privilege(").param(shown.get(i).qualified())
                        .sql(", 'SELECT,INSERT,UPDATE,DELETE')");
            }
            String[] granted = c.one(check).rows().get(0);
            List<Relation> visible = new ArrayList<>();
            for (int i = 0; i < shown.size(); i++) {
                if ("t".equals(granted[i]) || "true".equals(granted[i])) {
                    visible.add(shown.get(i));
                }
            }
            shown = visible;
        }
        ObjectNode doc = JSON.createObjectNode();
        doc.put("swagger", "2.0");
        doc.putObject("info").put("title", "Oxbow Data API").put("version", "12");
        doc.putArray("produces").add("application/json").add("text/csv");
        ObjectNode paths = doc.putObject("paths");
        ObjectNode defs = doc.putObject("definitions");
        for (Relation rel : shown) {
            ObjectNode p = paths.putObject("/" + rel.name());
            for (String m : rel.insertable() ? List.of("get", "post", "patch", "delete") : List.of("get")) {
                p.putObject(m).putArray("tags").add(rel.name());
            }
            ObjectNode props = defs.putObject(rel.name()).put("type", "object").putObject("properties");
            rel.columns().forEach((col, type) -> props.putObject(col).put("format", type));
        }
        for (SchemaCache.Function f : cache.functions().values()) {
            if (f.schema().equals(schema)) {
                paths.putObject("/rpc/" + f.name()).putObject("post").putArray("tags").add("(rpc) " + f.name());
            }
        }
        return DataApiResponse.json(200, doc.toString(), Map.of("Content-Type", "application/openapi+json; charset=utf-8"));
    }

    private static String csv(OneTrip.Result result) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < result.labels().size(); i++) {
            out.append(i > 0 ? "," : "").append(csvField(result.labels().get(i)));
        }
        out.append('\n');
        for (String[] row : result.rows()) {
            for (int i = 0; i < row.length; i++) {
                out.append(i > 0 ? "," : "").append(row[i] == null ? "" : csvField(row[i]));
            }
            out.append('\n');
        }
        return out.toString();
    }

    private static String csvField(String v) {
        return v.contains(",") || v.contains("\"") || v.contains("\n") || v.contains("\r") ? '"' + v.replace("\"", "\"\"") + '"' : v;
    }

    /** Postgres errors keep their SQLSTATE; the HTTP status follows PostgREST's table. */
    static PostgrestException fromPostgres(SQLException e, boolean anonymous) {
        String state = e.getSQLState() == null ? "XX000" : e.getSQLState();
        String message = e.getMessage();
        String details = null;
        String hint = null;
        if (e instanceof PSQLException p && p.getServerErrorMessage() != null) {
            ServerErrorMessage m = p.getServerErrorMessage();
            message = m.getMessage();
            details = m.getDetail();
            hint = m.getHint();
        }
        return new PostgrestException(httpStatus(state, anonymous), state, message, details, hint);
    }

    static int httpStatus(String state, boolean anonymous) {
        return switch (state) {
            case "23503", "23505" -> 409;
            case "25006" -> 405;
            case "42883", "42P01" -> 404;
            case "42P17" -> 500;
            case "42501" -> anonymous ? 401 : 403;
            case "P0001" -> 400;
            case "57014" -> 504;
            default -> switch (state.substring(0, 2)) {
                case "08", "53" -> 503;
                case "0L", "0P", "28" -> 403;
                case "54" -> 413;
                case "09", "25", "2D", "38", "39", "3B", "40", "55", "57", "58", "F0", "HV", "P0", "XX" -> 500;
                default -> 400;
            };
        };
    }

    private static DataApiResponse error(PostgrestException e) {
        ObjectNode body = JSON.createObjectNode();
        body.put("code", e.code()).put("message", e.getMessage());
        if (e.details() != null) {
            body.put("details", e.details());
        } else {
            body.putNull("details");
        }
        if (e.hint() != null) {
            body.put("hint", e.hint());
        } else {
            body.putNull("hint");
        }
        return DataApiResponse.json(e.status(), body.toString(), Map.of());
    }

}
