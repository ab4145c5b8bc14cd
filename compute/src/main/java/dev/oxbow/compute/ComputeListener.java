package dev.oxbow.compute;

/** Hears what happens to servers after start: crashes, restarts, and giving up. */
public interface ComputeListener {
    /** The server exited unexpectedly and was restarted (attempt counts restarts in the current window). */
    default void restarted(String endpointUid, int exitCode, int attempt) {}

    /** The server crashed too often and was not restarted again. */
    default void degraded(String endpointUid, String reason) {}
}
