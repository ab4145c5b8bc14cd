package dev.oxbow.client;

import java.time.Duration;

/**
 * Told about each API call once it has its answer (or failed to get one): what a CLI prints under --debug. It gets
 * the method, the path with its query and the status, never the token or a body (bodies can carry credentials).
 */
@FunctionalInterface
public interface CallListener {
    CallListener NONE = (method, pathAndQuery, status, elapsed, error) -> {};

    /** {@code status} is 0 and {@code error} set when no answer came back. */
    void called(String method, String pathAndQuery, int status, Duration elapsed, String error);
}
