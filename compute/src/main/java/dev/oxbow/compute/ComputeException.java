package dev.oxbow.compute;

/** A compute could not be created, started or stopped; the message names the endpoint or directory and the cause. */
public class ComputeException extends Exception {
    public ComputeException(String message) { super(message); }
    public ComputeException(String message, Throwable cause) { super(message, cause); }
}
