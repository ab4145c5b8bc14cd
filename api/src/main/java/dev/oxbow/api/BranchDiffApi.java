package dev.oxbow.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.oxbow.controlplane.ControlPlane;
import dev.oxbow.controlplane.diff.BranchDiff;
import dev.oxbow.controlplane.diff.BranchDiffService;
import dev.oxbow.controlplane.diff.SchemaChange;
import dev.oxbow.controlplane.identity.Principal;
import dev.oxbow.controlplane.resource.ApiException;
import io.javalin.Javalin;
import io.javalin.http.Context;

/**
 * {@code GET /api/2.0/oxbow/projects/{p}/branches/{b}:diff?against=<branch>[&schema_only=true][&database=...][&page_size=n]}:
 * what differs between two branches of a project. Needs CAN_USE on the project; a stranger gets the project's 404.
 */
final class BranchDiffApi {
    private static final String ROUTE = "/api/2.0/oxbow/projects/{project}/branches/{ref}";
    private static final String ACTION = ":diff";

    private final ControlPlane cp;
    private final ObjectMapper mapper;
    private final String callerKey;

    BranchDiffApi(ControlPlane cp, ObjectMapper mapper, String callerKey) {
        this.cp = cp;
        this.mapper = mapper;
        this.callerKey = callerKey;
    }

    void register(Javalin app) {
        app.get(ROUTE, this::diff);
    }

    private void diff(Context ctx) {
        String ref = ctx.pathParam("ref");
        if (!ref.endsWith(ACTION)) {
            throw PostgresApi.unknownRoute(ctx);
        }
        Principal caller = ctx.attribute(callerKey);
        BranchDiff d = cp.branchDiffs().diff(caller, new BranchDiffService.Request(ctx.pathParam("project"),
                ref.substring(0, ref.length() - ACTION.length()), ctx.queryParam("against"), ctx.queryParam("database"),
                flag(ctx, "schema_only"), pageSize(ctx)));
        ctx.json(json(d));
    }

    ObjectNode json(BranchDiff d) {
        ObjectNode n = mapper.createObjectNode();
        n.put("branch", d.branch()).put("against", d.against()).put("database", d.database()).put("schema_only", d.schemaOnly());
        n.put("direction", "schema.statements run on 'against' make its schema match 'branch'; rows_added are rows only on 'branch', "
                + "rows_removed rows only on 'against'");
        n.put("identical", d.isEmpty());
        ObjectNode schema = n.putObject("schema");
        ArrayNode statements = schema.putArray("statements");
        d.schema().script().forEach(statements::add);
        ArrayNode changes = schema.putArray("changes");
        for (SchemaChange c : d.schema().changes()) {
            ObjectNode o = changes.addObject().put("kind", c.kind().name()).put("object", c.identity()).put("change", c.change().name());
            ArrayNode ddl = o.putArray("statements");
            c.statements().forEach(ddl::add);
        }
        if (!d.schemaOnly()) {
            ObjectNode data = n.putObject("data");
            data.put("tables_compared", d.tablesCompared());
            if (d.examplesWithheld()) {
                data.put("examples_withheld", "example rows need CAN_MANAGE on the project; CAN_USE sees counts only");
            }
            ArrayNode tables = data.putArray("tables");
            for (BranchDiff.TableDiff t : d.tables()) {
                ObjectNode o = tables.addObject().put("table", t.table());
                o.set("key_columns", mapper.valueToTree(t.keyColumns()));
                o.put("rows_added", t.rowsAdded()).put("rows_removed", t.rowsRemoved()).put("rows_changed", t.rowsChanged());
                ArrayNode examples = o.putArray("examples");
                for (BranchDiff.Example e : t.examples()) {
                    ObjectNode x = examples.addObject().put("change", e.change().name());
                    x.set("key", mapper.valueToTree(e.key()));
                    x.set("branch_row", parse(e.branchRow()));
                    x.set("against_row", parse(e.againstRow()));
                }
            }
            ArrayNode skipped = data.putArray("not_comparable");
            for (BranchDiff.NotComparable t : d.notComparable()) {
                skipped.addObject().put("table", t.table()).put("reason", t.reason());
            }
        }
        BranchDiff.Stats s = d.stats();
        n.putObject("stats").put("queries", s.queries()).put("rows_returned", s.rowsReturned()).put("bytes_returned", s.bytesReturned())
                .put("compared_table_bytes", s.comparedTableBytes()).put("ranges_compared", s.rangesCompared())
                .put("ranges_fetched", s.rangesFetched()).put("elapsed_ms", s.millis());
        return n;
    }

    private com.fasterxml.jackson.databind.JsonNode parse(String json) {
        if (json == null) {
            return mapper.nullNode();
        }
        try {
            return mapper.readTree(json);
        } catch (Exception e) {
            return mapper.getNodeFactory().textNode(json);
        }
    }

    private static boolean flag(Context ctx, String name) {
        String v = ctx.queryParam(name);
        if (v == null || v.isBlank() || v.equals("false")) {
            return false;
        }
        if (v.equals("true")) {
            return true;
        }
        throw ApiException.invalid("Field " + name + " must be true or false, got '" + v + "'.");
    }

    private static Integer pageSize(Context ctx) {
        String raw = ctx.queryParam("page_size");
        if (raw == null || raw.isBlank()) {
            return null;
        }
        try {
            return Integer.parseInt(raw);
        } catch (NumberFormatException e) {
            throw ApiException.invalid("Field page_size must be a whole number, got '" + raw + "'.");
        }
    }
}
