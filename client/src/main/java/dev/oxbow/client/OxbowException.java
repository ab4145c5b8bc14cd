package dev.oxbow.client;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * An error answered by the API ({@code {"error_code","message"}}, api.md §8), or carried by a failed operation.
 * The subclass follows the error code when it is a specific one, else the HTTP status, as the Databricks SDKs do.
 */
public class OxbowException extends RuntimeException {
    private final int httpStatus;
    private final String errorCode;

    public OxbowException(int httpStatus, String errorCode, String message) {
        super(message);
        this.httpStatus = httpStatus;
        this.errorCode = errorCode;
    }

    /** HTTP status of the answer; 0 for the error of a failed long-running operation. */
    public int httpStatus() {
        return httpStatus;
    }

    /** The API's error_code, e.g. NOT_FOUND; never null. */
    public String errorCode() {
        return errorCode;
    }

    /** Builds the typed exception for an error body (error JSON, legacy {"error":…}, SCIM "detail", or plain text). */
    public static OxbowException from(int status, JsonNode body, String rawBody) {
        String code = body.path("error_code").asText("");
        String message = body.path("message").asText(body.path("error").asText(body.path("detail").asText("")));
        if (message.isEmpty()) {
            message = rawBody == null || rawBody.isBlank() ? "HTTP " + status : rawBody.strip();
        }
        if (code.isEmpty()) {
            code = "HTTP_" + status;
        }
        return of(status, code, message);
    }

    public static OxbowException of(int status, String code, String message) {
        return switch (code) {
            case "INVALID_PARAMETER_VALUE" -> new InvalidParameterValue(status, code, message);
            case "INVALID_STATE" -> new InvalidState(status, code, message);
            case "RESOURCE_DOES_NOT_EXIST" -> new ResourceDoesNotExist(status, code, message);
            case "NOT_FOUND" -> new NotFound(status, code, message);
            case "ALREADY_EXISTS", "RESOURCE_ALREADY_EXISTS" -> new AlreadyExists(status, code, message);
            case "PERMISSION_DENIED" -> new PermissionDenied(status, code, message);
            case "UNAUTHENTICATED" -> new Unauthenticated(status, code, message);
            case "BAD_REQUEST" -> new BadRequest(status, code, message);
            case "RESOURCE_CONFLICT", "ABORTED" -> new ResourceConflict(status, code, message);
            case "RESOURCE_EXHAUSTED", "REQUEST_LIMIT_EXCEEDED" -> new TooManyRequests(status, code, message);
            case "NOT_IMPLEMENTED" -> new NotImplemented(status, code, message);
            case "DEADLINE_EXCEEDED" -> new DeadlineExceeded(status, code, message);
            case "TEMPORARILY_UNAVAILABLE", "UNAVAILABLE" -> new TemporarilyUnavailable(status, code, message);
            case "INTERNAL_ERROR", "UNKNOWN", "DATA_LOSS" -> new InternalError(status, code, message);
            default -> switch (status) {
                case 400 -> new BadRequest(status, code, message);
                case 401 -> new Unauthenticated(status, code, message);
                case 403 -> new PermissionDenied(status, code, message);
                case 404 -> new NotFound(status, code, message);
                case 409 -> new ResourceConflict(status, code, message);
                case 429 -> new TooManyRequests(status, code, message);
                case 501 -> new NotImplemented(status, code, message);
                case 503 -> new TemporarilyUnavailable(status, code, message);
                case 504 -> new DeadlineExceeded(status, code, message);
                default -> status >= 500 ? new InternalError(status, code, message) : new OxbowException(status, code, message);
            };
        };
    }

    public static class BadRequest extends OxbowException {
        BadRequest(int s, String c, String m) { super(s, c, m); }
    }

    public static class InvalidParameterValue extends BadRequest {
        InvalidParameterValue(int s, String c, String m) { super(s, c, m); }
    }

    public static class InvalidState extends BadRequest {
        InvalidState(int s, String c, String m) { super(s, c, m); }
    }

    public static class Unauthenticated extends OxbowException {
        Unauthenticated(int s, String c, String m) { super(s, c, m); }
    }

    public static class PermissionDenied extends OxbowException {
        PermissionDenied(int s, String c, String m) { super(s, c, m); }
    }

    public static class NotFound extends OxbowException {
        NotFound(int s, String c, String m) { super(s, c, m); }
    }

    public static class ResourceDoesNotExist extends NotFound {
        ResourceDoesNotExist(int s, String c, String m) { super(s, c, m); }
    }

    public static class ResourceConflict extends OxbowException {
        ResourceConflict(int s, String c, String m) { super(s, c, m); }
    }

    public static class AlreadyExists extends ResourceConflict {
        AlreadyExists(int s, String c, String m) { super(s, c, m); }
    }

    public static class TooManyRequests extends OxbowException {
        TooManyRequests(int s, String c, String m) { super(s, c, m); }
    }

    public static class InternalError extends OxbowException {
        InternalError(int s, String c, String m) { super(s, c, m); }
    }

    public static class NotImplemented extends OxbowException {
        NotImplemented(int s, String c, String m) { super(s, c, m); }
    }

    public static class TemporarilyUnavailable extends OxbowException {
        TemporarilyUnavailable(int s, String c, String m) { super(s, c, m); }
    }

    public static class DeadlineExceeded extends OxbowException {
        DeadlineExceeded(int s, String c, String m) { super(s, c, m); }
    }

    /** The client gave up waiting for a long-running operation (the operation itself goes on). */
    public static class OperationTimeout extends OxbowException {
        public OperationTimeout(String operation, java.time.Duration after) {
            super(0, "DEADLINE_EXCEEDED", "Timed out after " + after + " waiting for operation " + operation
                    + " (it continues; check it with get-operation)");
        }
    }
}
