package dev.oxbow.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/** Recorded request bodies and expected responses under src/test/resources. */
final class Bodies {
    static final ObjectMapper MAPPER = new ObjectMapper();

    private Bodies() {}

    static JsonNode resource(String path) {
        try (InputStream in = Bodies.class.getResourceAsStream("/" + path)) {
            if (in == null) {
                throw new IllegalArgumentException("no test resource " + path);
            }
            return MAPPER.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode request(String name) {
        return resource("sdk-requests/" + name + ".json");
    }

    static JsonNode json(String text) {
        try {
            return MAPPER.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The tree as a client parses it from the wire (numbers re-read from their text). */
    static JsonNode onTheWire(JsonNode node) {
        try {
            return MAPPER.readTree(MAPPER.writeValueAsString(node));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
