package dev.oxbow.mcp;

import java.util.List;
import java.util.Map;

/** A tool call's arguments with the reference's defaults; null and "" both mean "not given". */
record Args(Map<String, Object> values) {

    Args {
        values = values == null ? Map.of() : values;
    }

    String string(String name, String fallback) {
        Object v = values.get(name);
        return v == null || v.toString().isBlank() ? fallback : v.toString();
    }

    String string(String name) {
        return string(name, null);
    }

    /** A required argument; missing ones are the caller's error. */
    String require(String name) {
        String v = string(name);
        if (v == null) {
            throw new IllegalArgumentException("Missing required parameter '" + name + "'.");
        }
        return v;
    }

    Boolean bool(String name) {
        Object v = values.get(name);
        return v == null ? null : v instanceof Boolean b ? b : Boolean.parseBoolean(v.toString());
    }

    boolean bool(String name, boolean fallback) {
        Boolean b = bool(name);
        return b == null ? fallback : b;
    }

    Double number(String name) {
        Object v = values.get(name);
        if (v == null || v.toString().isBlank()) {
            return null;
        }
        return v instanceof Number n ? n.doubleValue() : Double.parseDouble(v.toString());
    }

    Long integer(String name) {
        Double d = number(name);
        return d == null ? null : d.longValue();
    }

    @SuppressWarnings("unchecked")
    List<String> strings(String name) {
        Object v = values.get(name);
        if (v == null) {
            return null;
        }
        if (v instanceof List<?> list) {
            return list.stream().map(Object::toString).toList();
        }
        return List.of(v.toString().split("\\s*,\\s*"));
    }
}
