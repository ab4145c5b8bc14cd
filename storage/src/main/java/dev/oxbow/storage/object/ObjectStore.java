package dev.oxbow.storage.object;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * Durable storage for history, addressed by key ({@code a/b/c}). A put is all or nothing: an object is
 * visible only once it is complete (S3 gives that per object; the local store writes a temporary file and
 * renames it), so a reader never meets a torn object. Listing is by key prefix, in key order.
 */
public interface ObjectStore extends AutoCloseable {

    /** Stores the file's bytes under {@code key}, replacing what was there. */
    void put(String key, Path file) throws IOException;

    void put(String key, byte[] bytes) throws IOException;

    /** The object's bytes, or empty if there is none (meant for small objects: manifests, pointers). */
    Optional<byte[]> get(String key) throws IOException;

    /**
     * Writes the object to {@code target} (through a temporary file beside it, so a crash never leaves a
     * torn copy); false if there is no such object.
     */
    boolean download(String key, Path target) throws IOException;

    /** Every object whose key starts with {@code prefix}, in key order. */
    List<ObjectInfo> list(String prefix) throws IOException;

    boolean exists(String key) throws IOException;

    /** Removes the objects; missing ones are fine. */
    void delete(Collection<String> keys) throws IOException;

    /** Where the objects live, for logs and status ({@code s3://bucket/prefix}, {@code file:///dir}). */
    String location();

    @Override
    void close();
}
