package dev.oxbow.metadata;

/** The metadata store failed (I/O, corruption, a broken migration). Never a user error. */
public class MetadataException extends RuntimeException {
    public MetadataException(String message, Throwable cause) {
        super(message, cause);
    }
}
