package dev.oxbow.client;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.function.Function;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * The items of a paged list (api.md §9), fetched lazily page by page: the query is resent with
 * {@code page_token=<next_page_token>} until the token is absent or empty.
 */
public final class Paged<T> implements Iterable<T> {
    private final OxbowClient client;
    private final String path;
    private final Map<String, Object> query;
    private final String key;
    private final Function<JsonNode, T> decode;

    Paged(OxbowClient client, String path, Map<String, ?> query, String key, Function<JsonNode, T> decode) {
        this.client = client;
        this.path = path;
        this.query = new LinkedHashMap<>(query);
        this.key = key;
        this.decode = decode;
    }

    public Stream<T> stream() {
        return StreamSupport.stream(spliterator(), false);
    }

    public List<T> toList() {
        return stream().toList();
    }

    @Override
    public Iterator<T> iterator() {
        return new Iterator<>() {
            private final Deque<JsonNode> buffer = new ArrayDeque<>();
            // a page_token in the query is where the listing starts (the CLI's --page-token)
            private String token = query.get("page_token") == null ? null : String.valueOf(query.get("page_token"));
            private boolean last;

            @Override
            public boolean hasNext() {
                while (buffer.isEmpty() && !last) {
                    Map<String, Object> q = new LinkedHashMap<>(query);
                    q.put("page_token", token);
                    JsonNode page = client.call("GET", path, q, null);
                    page.path(key).forEach(buffer::add);
                    token = page.path("next_page_token").asText("");
                    last = token.isEmpty();
                }
                return !buffer.isEmpty();
            }

            @Override
            public T next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return decode.apply(buffer.poll());
            }
        };
    }
}
