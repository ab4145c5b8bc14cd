package dev.oxbow.dataapi;

import java.util.Map;

/** What the web server sends back: status, headers and a body (empty for 204 and HEAD). */
public record DataApiResponse(int status, Map<String, String> headers, String body) {
    static DataApiResponse json(int status, String body, Map<String, String> extra) {
        java.util.Map<String, String> h = new java.util.LinkedHashMap<>(extra);
        h.putIfAbsent("Content-Type", "application/json; charset=utf-8");
        return new DataApiResponse(status, Map.copyOf(h), body);
    }

    static DataApiResponse empty(int status, Map<String, String> headers) {
        return new DataApiResponse(status, Map.copyOf(headers), "");
    }
}
