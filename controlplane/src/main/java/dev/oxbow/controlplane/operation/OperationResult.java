package dev.oxbow.controlplane.operation;

import dev.oxbow.metadata.Resource;

/** What a finished operation answers with: a resource snapshot, or nothing for deletes. */
public record OperationResult(String kind, Resource resource) {
    public static final String EMPTY = "empty";

    public static OperationResult of(Resource resource) {
        return new OperationResult(kindOf(resource), resource);
    }

    public static OperationResult empty() {
        return new OperationResult(EMPTY, null);
    }

    public static String kindOf(Resource resource) {
        return resource.getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT);
    }
}
