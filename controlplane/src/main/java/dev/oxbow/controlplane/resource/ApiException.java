package dev.oxbow.controlplane.resource;

import java.util.List;
import java.util.Map;

/**
 * A request the control plane refuses, with the Databricks error code and HTTP status clients map to
 * their typed exceptions. Messages name the resource and, where there is one, the fix.
 */
public class ApiException extends RuntimeException {
    private final int httpStatus;
    private final String errorCode;
    private final List<Map<String, Object>> details;

    public ApiException(int httpStatus, String errorCode, String message) {
        this(httpStatus, errorCode, message, List.of());
    }

    public ApiException(int httpStatus, String errorCode, String message, List<Map<String, Object>> details) {
        super(message);
        this.httpStatus = httpStatus;
        this.errorCode = errorCode;
        this.details = List.copyOf(details);
    }

    public int httpStatus() { return httpStatus; }
    public String errorCode() { return errorCode; }
    public List<Map<String, Object>> details() { return details; }

    public static ApiException invalid(String message) {
        return new ApiException(400, "INVALID_PARAMETER_VALUE", message);
    }

    public static ApiException required(String field) {
        return invalid("Field '" + field + "' is required, expected non-default value (not \"\")!");
    }

    public static ApiException badRequest(String message) {
        return new ApiException(400, "BAD_REQUEST", message);
    }

    /** A delete the parent resource manages (root branch, read-write endpoint). */
    public static ApiException managedByParent(String message) {
        return new ApiException(400, "BAD_REQUEST", message, List.of(Map.of(
                "@type", "type.googleapis.com/google.rpc.ErrorInfo",
                "reason", "RESOURCE_CONFLICT",
                "domain", "databricks.com",
                "metadata", Map.of("declarative_context", "MANAGED_BY_PARENT"))));
    }

    public static ApiException invalidState(String message) {
        return new ApiException(400, "INVALID_STATE", message);
    }

    public static ApiException notFound(String type, String name) {
        return new ApiException(404, "NOT_FOUND", type + " id not found: " + name);
    }

    public static ApiException alreadyExists(String message) {
        return new ApiException(409, "ALREADY_EXISTS", message);
    }

    public static ApiException quota(String message) {
        return new ApiException(400, "QUOTA_EXCEEDED", message);
    }

    public static ApiException unauthenticated(String message) {
        return new ApiException(401, "UNAUTHENTICATED", message);
    }

    public static ApiException internal(String message) {
        return new ApiException(500, "INTERNAL_ERROR", message);
    }
}
