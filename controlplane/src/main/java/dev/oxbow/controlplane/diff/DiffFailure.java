package dev.oxbow.controlplane.diff;

/** A query of the diff failed on a compute; the message says which table or catalog and why. */
public final class DiffFailure extends RuntimeException {
    DiffFailure(String message, Throwable cause) {
        super(message, cause);
    }
}
