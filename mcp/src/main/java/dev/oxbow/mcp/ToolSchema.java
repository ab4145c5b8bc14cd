package dev.oxbow.mcp;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A tool's JSON Schema for its arguments, built property by property (with the reference's defaults). */
final class ToolSchema {
    private final Map<String, Object> properties = new LinkedHashMap<>();
    private final List<String> required = new ArrayList<>();

    ToolSchema required(String name, String type, String description) {
        required.add(name);
        return optional(name, type, null, description);
    }

    ToolSchema optional(String name, String type, Object defaultValue, String description) {
        Map<String, Object> p = new LinkedHashMap<>();
        if (type.equals("string[]")) {
            p.put("type", "array");
            p.put("items", Map.of("type", "string"));
        } else {
            p.put("type", type);
        }
        if (defaultValue != null) {
            p.put("default", defaultValue);
        }
        p.put("description", description);
        properties.put(name, p);
        return this;
    }

    Map<String, Object> toMap() {
        Map<String, Object> schema = new LinkedHashMap<>();
        schema.put("type", "object");
        schema.put("properties", properties);
        schema.put("required", required);
        return schema;
    }
}
