package dev.oxbow.dataapi;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * One HTTP request to the Data API, independent of the web server: {@code path} is what follows the database's base
 * path ({@code /todos}, {@code /rpc/add}); {@code query} keeps the parameters in order and repeated; header names are
 * lower case.
 */
public record DataApiRequest(String method, String path, List<Map.Entry<String, String>> query, Map<String, String> headers,
                             byte[] body) {
    public DataApiRequest {
        method = method.toUpperCase(Locale.ROOT);
        query = List.copyOf(query);
        headers = headers.entrySet().stream().collect(java.util.stream.Collectors.toUnmodifiableMap(
                e -> e.getKey().toLowerCase(Locale.ROOT), Map.Entry::getValue, (a, b) -> a));
        body = body == null ? new byte[0] : body;
    }

    Optional<String> header(String name) {
        return Optional.ofNullable(headers.get(name));
    }

    Optional<String> param(String name) {
        return query.stream().filter(e -> e.getKey().equals(name)).map(Map.Entry::getValue).findFirst();
    }

    /** {@code Prefer: return=representation, count=exact}: the value of one preference, if given. */
    Optional<String> prefer(String key) {
        return header("prefer").stream()
                .flatMap(h -> java.util.Arrays.stream(h.split(",")))
                .map(String::strip)
                .filter(p -> p.startsWith(key + "="))
                .map(p -> p.substring(key.length() + 1))
                .findFirst();
    }
}
