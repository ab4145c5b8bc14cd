package dev.oxbow.controlplane.operation;

import dev.oxbow.metadata.Operation;

/**
 * The work behind one kind of operation. {@link #run} must be idempotent: after a crash it runs again
 * from the start against whatever the first attempt left behind.
 */
public interface OperationHandler {
    OperationResult run(Operation op, OperationContext ctx) throws Exception;

    /** Undoes what acceptance wrote (metadata reservations, half-made files) when the operation fails for good. */
    default void compensate(Operation op) throws Exception {}
}
