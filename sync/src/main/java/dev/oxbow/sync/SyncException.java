package dev.oxbow.sync;

/**
 * A sync that cannot go on without a person: unsupported types, duplicate keys, a schema change that is
 * not additive, NUL characters in text. The message says why and what to do; it becomes the synced
 * table's status message.
 */
public final class SyncException extends Exception {
    public SyncException(String message) {
        super(message);
    }

    public SyncException(String message, Throwable cause) {
        super(message, cause);
    }
}
