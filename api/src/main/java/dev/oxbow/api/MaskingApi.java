package dev.oxbow.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.oxbow.controlplane.ControlPlane;
import dev.oxbow.controlplane.identity.Principal;
import dev.oxbow.controlplane.masking.MaskingRules;
import dev.oxbow.controlplane.resource.ApiException;
import dev.oxbow.metadata.MaskingPolicy;
import dev.oxbow.metadata.MaskingRule;
import dev.oxbow.metadata.Project;
import io.javalin.Javalin;
import io.javalin.http.Context;

import java.util.ArrayList;
import java.util.List;

/**
 * Oxbow extension: {@code /api/2.0/oxbow/projects/{p}/masking-rules}, the rules every masked branch of the project
 * applies. GET needs CAN_USE; PATCH (the whole list, replaced) CAN_MANAGE. The project's hash key is never returned.
 */
final class MaskingApi {
    private static final String PATH = "/api/2.0/oxbow/projects/{project}/masking-rules";

    private final ControlPlane cp;
    private final ObjectMapper mapper;
    private final String callerKey;

    MaskingApi(ControlPlane cp, ObjectMapper mapper, String callerKey) {
        this.cp = cp;
        this.mapper = mapper;
        this.callerKey = callerKey;
    }

    void register(Javalin app) {
        app.get(PATH, ctx -> {
            Project p = project(ctx, false);
            ctx.json(write(cp.maskingRules().get(p.name())));
        });
        app.patch(PATH, ctx -> {
            Project p = project(ctx, true);
            ctx.json(write(cp.maskingRules().set(p.name(), read(ctx))));
        });
    }

    private Project project(Context ctx, boolean manage) {
        String name = Project.nameOf(ctx.pathParam("project"));
        Project p = cp.projects().find(name).filter(x -> !x.deleted()).orElseThrow(() -> ApiException.notFound("project", name));
        Principal caller = ctx.attribute(callerKey);
        if (manage) {
            cp.access().requireManage(caller, p);
        } else {
            cp.access().requireUse(caller, p);
        }
        return p;
    }

    private List<MaskingRules.Requested> read(Context ctx) {
        JsonNode body;
        try {
            body = ctx.body().isBlank() ? mapper.createObjectNode() : mapper.readTree(ctx.body());
        } catch (Exception e) {
            throw ApiException.invalid("The request body is not valid JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
        JsonNode rules = body.isObject() ? body.get("rules") : null;
        if (rules == null || !rules.isArray()) {
            throw ApiException.invalid("Field rules is required: a list of {\"database\", \"schema\", \"table\", \"column\", \"action\"}.");
        }
        List<MaskingRules.Requested> out = new ArrayList<>();
        for (int i = 0; i < rules.size(); i++) {
            JsonNode r = rules.get(i);
            if (!r.isObject()) {
                throw ApiException.invalid("Field rules[" + i + "] must be an object.");
            }
            String at = "rules[" + i + "].";
            out.add(new MaskingRules.Requested(text(r, at, "database"), text(r, at, "schema"), text(r, at, "table"), text(r, at, "column"),
                    text(r, at, "action")));
        }
        return out;
    }

    private static String text(JsonNode r, String at, String field) {
        JsonNode v = r.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw ApiException.invalid("Field " + at + field + " must be a string.");
        }
        return v.asText();
    }

    private ObjectNode write(MaskingPolicy policy) {
        ObjectNode n = mapper.createObjectNode();
        n.put("name", policy.name());
        ArrayNode rules = n.putArray("rules");
        for (MaskingRule r : policy.rules()) {
            rules.addObject().put("database", r.database()).put("schema", r.schema()).put("table", r.table()).put("column", r.column())
                    .put("action", r.action().wire());
        }
        if (policy.updateTime() != null) {
            n.put("update_time", Wire.timestamp(policy.updateTime()));
        }
        return n;
    }
}
