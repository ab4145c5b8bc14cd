package dev.oxbow.client;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Duration;
import java.util.function.Function;

/**
 * A long-running operation (api.md §7): the server's Operation JSON plus how to decode its response.
 * {@link #waitFor} polls {@code GET /api/2.0/postgres/{name}} until done, like the SDKs' waitForCompletion.
 */
public final class Operation<T> {
    private static final Duration FIRST_POLL = Duration.ofMillis(20);
    private static final Duration MAX_POLL = Duration.ofSeconds(1);

    private final OxbowClient client;
    private final JsonNode json;
    private final Function<JsonNode, T> decode;

    Operation(OxbowClient client, JsonNode json, Function<JsonNode, T> decode) {
        this.client = client;
        this.json = json;
        this.decode = decode;
    }

    public String name() {
        return json.path("name").asText();
    }

    public boolean done() {
        return json.path("done").asBoolean(false);
    }

    /** The operation exactly as the server sent it. */
    public JsonNode json() {
        return json;
    }

    /** The finished operation's response JSON, or null while running or when it failed. */
    public JsonNode responseJson() {
        return json.hasNonNull("response") ? json.get("response") : null;
    }

    /** The error of a failed operation as a typed exception, or null. */
    public OxbowException error() {
        JsonNode e = json.get("error");
        if (e == null || e.isNull()) {
            return null;
        }
        return OxbowException.of(0, e.path("error_code").asText("UNKNOWN"), e.path("message").asText("operation failed"));
    }

    /** Fetches the operation's current state once. */
    public Operation<T> refresh() {
        return new Operation<>(client, client.get("/api/2.0/postgres/" + name()), decode);
    }

    /** Waits until done (polling at least once, as the SDKs do) and returns the decoded response. */
    public T waitFor(Duration timeout) {
        return decode.apply(waitForJson(timeout));
    }

    /**
     * Waits until done and returns the raw response JSON; throws the operation's error as a typed exception, or
     * {@link OxbowException.OperationTimeout} when {@code timeout} (null or zero: forever) passes first.
     */
    public JsonNode waitForJson(Duration timeout) {
        long deadline = timeout == null || timeout.isZero() ? Long.MAX_VALUE : System.nanoTime() + timeout.toNanos();
        long started = System.nanoTime();
        Operation<T> current = refresh();
        while (!current.done()) {
            if (System.nanoTime() > deadline) {
                throw new OxbowException.OperationTimeout(name(), timeout);
            }
            sleep(pauseAfter(Duration.ofNanos(System.nanoTime() - started)));
            current = current.refresh();
        }
        OxbowException error = current.error();
        if (error != null) {
            throw error;
        }
        JsonNode response = current.responseJson();
        if (response == null) {
            throw new OxbowException(0, "INTERNAL_ERROR", "Operation " + name() + " completed but no response available");
        }
        return response;
    }

    /**
     * The wait before the next poll: a quarter of the time waited so far (20 ms to 1 s), so an operation is seen done at
     * most about 25 % after it finished; a doubling pause saw a 0.8 s create only at 1.55 s (polls at 50, 150, 350, 750 ms).
     */
    static Duration pauseAfter(Duration waited) {
        Duration quarter = waited.dividedBy(4);
        return quarter.compareTo(FIRST_POLL) < 0 ? FIRST_POLL : quarter.compareTo(MAX_POLL) > 0 ? MAX_POLL : quarter;
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for an operation", e);
        }
    }
}
