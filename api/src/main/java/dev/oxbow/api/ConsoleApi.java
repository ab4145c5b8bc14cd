package dev.oxbow.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.oxbow.controlplane.resource.ApiException;
import dev.oxbow.controlplane.ControlPlane;
import dev.oxbow.controlplane.compute.EndpointHistory;
import dev.oxbow.controlplane.identity.Principal;
import dev.oxbow.controlplane.sql.SqlConsole;
import dev.oxbow.metadata.Endpoint;
import dev.oxbow.metadata.Operation;
import dev.oxbow.metadata.Project;
import io.javalin.Javalin;
import io.javalin.http.Context;

/**
 * Oxbow extensions the web console needs beyond {@code /api/2.0/postgres}: where the proxy listens,
 * an endpoint's recent CU/connection history, suspending a compute on request, a project's operations
 * log, and the SQL editor. Reads need CAN_USE on the project, changes and SQL CAN_MANAGE.
 */
final class ConsoleApi {
    private static final String PREFIX = "/api/2.0/oxbow/";
    private static final int MAX_OPERATIONS = 200;

    private final ControlPlane cp;
    private final ResourceWriter writer;
    private final ObjectMapper mapper;
    private final String callerKey;
    private final ProxyAddress proxy;

    ConsoleApi(ControlPlane cp, ResourceWriter writer, ObjectMapper mapper, String callerKey, ProxyAddress proxy) {
        this.cp = cp;
        this.writer = writer;
        this.mapper = mapper;
        this.callerKey = callerKey;
        this.proxy = proxy;
    }

    void register(Javalin app) {
        app.get(PREFIX + "connection-info", this::connectionInfo);
        // endpoint names contain slashes, so the action is read from the end of the path
        app.get(PREFIX + "endpoints/<ref>", ctx -> {
            String ref = ctx.pathParam("ref");
            if (!ref.endsWith("/history")) {
                throw PostgresApi.unknownRoute(ctx);
            }
            history(ctx, endpoint(ctx, ref.substring(0, ref.length() - "/history".length()), false));
        });
        app.post(PREFIX + "endpoints/<ref>", ctx -> {
            String ref = ctx.pathParam("ref");
            if (!ref.endsWith(":suspend")) {
                throw PostgresApi.unknownRoute(ctx);
            }
            Endpoint e = endpoint(ctx, ref.substring(0, ref.length() - ":suspend".length()), true);
            ctx.json(writer.endpoint(cp.activity().suspendNow(e)));
        });
        app.get(PREFIX + "projects/{project}/operations", this::operations);
        app.post(PREFIX + "sql", this::sql);
    }

    private void connectionInfo(Context ctx) {
        ObjectNode n = mapper.createObjectNode();
        n.put("host_domain", cp.config().hostDomain());
        if (proxy != null) {
            n.put("pg_host", proxy.host()).put("pg_port", proxy.port());
            if (proxy.caCertificate() != null) {
                n.put("ca_certificate", proxy.caCertificate());
            }
        }
        n.put("user_name", caller(ctx).name());
        ctx.json(n);
    }

    private void history(Context ctx, Endpoint e) {
        ObjectNode n = mapper.createObjectNode();
        n.put("endpoint", e.name()).put("uid", e.uid());
        ArrayNode samples = n.putArray("samples");
        for (EndpointHistory.Sample s : cp.history().of(e.uid())) {
            samples.addObject().put("time", Wire.timestamp(s.time())).put("state", s.state().name()).put("cu", s.cu()).put("connections", s.connections());
        }
        ctx.json(n);
    }

    private void operations(Context ctx) {
        Project p = cp.projects().find(Project.nameOf(ctx.pathParam("project")))
                .orElseThrow(() -> ApiException.notFound("project", Project.nameOf(ctx.pathParam("project"))));
        cp.access().requireUse(caller(ctx), p);
        int limit = MAX_OPERATIONS;
        String raw = ctx.queryParam("page_size");
        if (raw != null && !raw.isBlank()) {
            try {
                limit = Math.max(1, Math.min(MAX_OPERATIONS, Integer.parseInt(raw)));
            } catch (NumberFormatException e) {
                throw ApiException.invalid("Field page_size must be a whole number, got '" + raw + "'.");
            }
        }
        ObjectNode n = mapper.createObjectNode();
        ArrayNode list = n.putArray("operations");
        for (Operation op : cp.projects().recentOperations(p.projectId(), limit)) {
            ObjectNode o = writer.operation(op);
            o.remove("response"); // the log needs what happened, not each resource snapshot
            o.put("kind", op.kind().name()).put("resource", op.resourceName())
                    .put("create_time", Wire.timestamp(op.createTime())).put("update_time", Wire.timestamp(op.updateTime()));
            list.add(o);
        }
        ctx.json(n);
    }

    private void sql(Context ctx) {
        JsonNode body;
        try {
            body = ctx.body().isBlank() ? mapper.createObjectNode() : mapper.readTree(ctx.body());
        } catch (Exception e) {
            throw ApiException.invalid("The request body is not valid JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (!body.isObject()) {
            throw ApiException.invalid("The request body must be a JSON object such as {\"endpoint\": \"projects/p/branches/b/endpoints/e\", \"query\": \"SELECT 1\"}.");
        }
        SqlConsole.Result r = cp.sqlConsole().run(caller(ctx), text(body, "endpoint"), text(body, "database"), text(body, "query"));
        ObjectNode n = mapper.createObjectNode();
        n.set("columns", mapper.valueToTree(r.columns()));
        n.set("rows", mapper.valueToTree(r.rows()));
        n.put("truncated", r.truncated()).put("row_limit", SqlConsole.MAX_ROWS).put("elapsed_ms", r.millis());
        if (r.updateCount() != null) {
            n.put("update_count", r.updateCount());
        }
        ctx.json(n);
    }

    /** An endpoint by uid or full name, checked against the caller's access to its project. */
    private Endpoint endpoint(Context ctx, String ref, boolean manage) {
        Endpoint e = cp.endpoints().find(ref)
                .orElseThrow(() -> ApiException.notFound("endpoint", ref));
        Project p = cp.projects().find(Project.nameOf(e.projectId())).orElseThrow(() -> ApiException.notFound("endpoint", ref));
        if (manage) {
            cp.access().requireManage(caller(ctx), p);
        } else {
            cp.access().requireUse(caller(ctx), p);
        }
        return e;
    }

    private Principal caller(Context ctx) {
        return ctx.attribute(callerKey);
    }

    private static String text(JsonNode body, String field) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw ApiException.invalid("Field " + field + " must be a string.");
        }
        return v.asText();
    }
}
