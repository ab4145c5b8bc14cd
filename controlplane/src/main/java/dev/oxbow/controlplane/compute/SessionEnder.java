package dev.oxbow.controlplane.compute;

/**
 * Ends a compute's open client sessions with a message before an explicit suspend stops it (the proxy does this,
 * between two of the compute's messages), so clients read why their connection ended rather than a bare EOF.
 * Returns once they are closed, or after its own time limit.
 */
public interface SessionEnder {
    SessionEnder NONE = (endpointUid, message) -> {};

    void endSessions(String endpointUid, String message);
}
