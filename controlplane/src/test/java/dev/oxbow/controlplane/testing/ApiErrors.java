package dev.oxbow.controlplane.testing;

import dev.oxbow.controlplane.resource.ApiException;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** Assertions on refusals: the Databricks error code, the HTTP status, and what the message names. */
public final class ApiErrors {
    private ApiErrors() {}

    public static ApiException refused(ThrowingCallable call, int status, String code, String... named) {
        ApiException e = catchThrowableOfType(ApiException.class, call);
        assertThat(e).as("expected an ApiException " + code).isNotNull();
        assertThat(e.errorCode()).isEqualTo(code);
        assertThat(e.httpStatus()).isEqualTo(status);
        assertThat(e.getMessage()).contains(named);
        return e;
    }

    /** A 400 INVALID_PARAMETER_VALUE whose message contains every fragment (field names, bounds). */
    public static ApiException invalid(ThrowingCallable call, String... named) {
        return refused(call, 400, "INVALID_PARAMETER_VALUE", named);
    }
}
