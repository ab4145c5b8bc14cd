package dev.oxbow.metadata;

import java.time.Instant;

/**
 * A long-running operation, persisted before its work starts so that a restart can resume it.
 * {@code kind} names the work, {@code request} is the handler's own JSON,
 * {@code resultKind}/{@code result} the stored response (a resource snapshot, or kind "empty"),
 * {@code errorCode}/{@code errorMessage} the failure.
 */
public record Operation(
        String name,
        String resourceName,
        String projectId,
        OperationKind kind,
        String metadataType,
        boolean done,
        String request,
        String resultKind,
        String result,
        String errorCode,
        String errorMessage,
        Instant createTime,
        Instant updateTime,
        int attempts) {

    public Operation finished(String resultKind, String result, Instant now) {
        return new Operation(name, resourceName, projectId, kind, metadataType, true, request, resultKind, result,
                null, null, createTime, now, attempts);
    }

    public Operation failed(String code, String message, Instant now) {
        return new Operation(name, resourceName, projectId, kind, metadataType, true, request, null, null,
                code, message, createTime, now, attempts);
    }

    public Operation nextAttempt(Instant now) {
        return new Operation(name, resourceName, projectId, kind, metadataType, done, request, resultKind, result,
                errorCode, errorMessage, createTime, now, attempts + 1);
    }
}
