package dev.oxbow.controlplane.operation;

/** Lets a running handler tell the caller waiting on acceptance that the consistent point is taken. */
public interface OperationContext {
    /** Called once the operation has captured what it must capture synchronously (e.g. a branch's snapshot). */
    void pointTaken();
}
