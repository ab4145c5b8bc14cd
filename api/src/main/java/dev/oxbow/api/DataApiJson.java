package dev.oxbow.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.oxbow.controlplane.dataapi.DataApiGateway;
import dev.oxbow.controlplane.dataapi.DataApiSpec;
import dev.oxbow.controlplane.resource.ApiException;
import dev.oxbow.metadata.DataApi;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The wire shape of a data API ({@code DataApi} in the SDKs): {@code name, parent, create_time, update_time, spec,
 * status}; the status echoes the effective settings, the serving {@code url} and the database's {@code available_schemas}.
 */
final class DataApiJson {
    private final ObjectMapper mapper;
    private final Supplier<String> apiBase;

    DataApiJson(ObjectMapper mapper, Supplier<String> apiBase) {
        this.mapper = mapper;
        this.apiBase = apiBase;
    }

    ObjectNode render(DataApi d) {
        ObjectNode n = mapper.createObjectNode();
        n.put("name", d.name()).put("parent", d.parentName());
        n.put("create_time", Wire.timestamp(d.createTime())).put("update_time", Wire.timestamp(d.updateTime()));
        settings(n.putObject("spec"), d);
        ObjectNode status = n.putObject("status");
        settings(status, d);
        strings(status.putArray("available_schemas"), d.availableSchemas());
        status.put("url", apiBase.get() + DataApiGateway.pathOf(d) + "/");
        return n;
    }

    private void settings(ObjectNode n, DataApi d) {
        strings(n.putArray("db_schemas"), d.dbSchemas().isEmpty() ? List.of("public") : d.dbSchemas());
        strings(n.putArray("db_extra_search_path"), d.dbExtraSearchPath().isEmpty() ? List.of("public") : d.dbExtraSearchPath());
        if (d.dbMaxRows() != null) {
            n.put("db_max_rows", d.dbMaxRows());
        }
        n.put("db_aggregates_enabled", d.dbAggregatesEnabled());
        if (d.openapiMode() != null) {
            n.put("openapi_mode", d.openapiMode());
        }
        strings(n.putArray("server_cors_allowed_origins"), d.serverCorsAllowedOrigins());
        n.put("server_timing_enabled", d.serverTimingEnabled());
    }

    private static void strings(ArrayNode a, List<String> values) {
        values.forEach(a::add);
    }

    /** The body's {@code spec}; types are checked, values by the service. */
    static DataApiSpec spec(JsonNode body) {
        JsonNode s = body.path("spec");
        if (s.isMissingNode() || s.isNull()) {
            return DataApiSpec.empty();
        }
        if (!s.isObject()) {
            throw ApiException.invalid("Field spec must be an object.");
        }
        return new DataApiSpec(list(s, "db_schemas"), list(s, "db_extra_search_path"), whole(s, "db_max_rows"), bool(s, "db_aggregates_enabled"),
                SpecReader.text(s, "jwt_role_claim_key", "spec."), SpecReader.text(s, "jwt_cache_max_lifetime", "spec."),
                SpecReader.text(s, "openapi_mode", "spec."), list(s, "server_cors_allowed_origins"), bool(s, "server_timing_enabled"));
    }

    private static List<String> list(JsonNode s, String field) {
        JsonNode n = s.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isArray()) {
            throw ApiException.invalid("Field spec." + field + " must be a list of strings.");
        }
        List<String> out = new ArrayList<>();
        for (JsonNode item : n) {
            if (!item.isTextual()) {
                throw ApiException.invalid("Field spec." + field + " must be a list of strings.");
            }
            out.add(item.asText());
        }
        return out;
    }

    private static Boolean bool(JsonNode s, String field) {
        JsonNode n = s.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isBoolean()) {
            throw ApiException.invalid("Field spec." + field + " must be true or false.");
        }
        return n.asBoolean();
    }

    /** int64 arrives as a JSON number or (proto3 JSON) a string of digits. */
    private static Long whole(JsonNode s, String field) {
        JsonNode n = s.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (n.canConvertToExactIntegral() && n.canConvertToLong()) {
            return n.asLong();
        }
        if (n.isTextual() && n.asText().matches("-?\\d{1,18}")) {
            return Long.parseLong(n.asText());
        }
        throw ApiException.invalid("Field spec." + field + " must be a whole number.");
    }
}
