package dev.oxbow.storage.object;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.Map;

/** Opens the store a location names: {@code s3://bucket/prefix} (settings from {@code env}) or {@code file:///dir} / a plain path. */
public final class ObjectStores {
    private ObjectStores() {}

    public static ObjectStore open(String location, Map<String, String> env) throws IOException {
        if (location.startsWith("s3://")) {
            return new S3ObjectStore(S3Settings.of(URI.create(location), env));
        }
        if (location.startsWith("file:")) {
            return new LocalObjectStore(Path.of(URI.create(location)));
        }
        if (location.contains("://")) {
            throw new IllegalArgumentException("unsupported object store " + location + ": use s3://bucket/prefix or file:///dir");
        }
        return new LocalObjectStore(Path.of(location));
    }
}
