package dev.oxbow.api;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** update_mask arrives as one comma-joined query value (the SDKs URL-encode the comma; Javalin decodes it). */
class UpdateMaskQueryTest {
    @Test
    void commaJoinedPathsAsTheJavaSdkSendsThem() {
        assertThat(PostgresApi.mask("spec.display_name,spec.default_endpoint_settings"))
                .containsExactly("spec.display_name", "spec.default_endpoint_settings");
    }

    @Test
    void blanksAndRepeatsAreDropped() {
        assertThat(PostgresApi.mask(" spec.ttl , ,spec.ttl,spec.is_protected,")).containsExactly("spec.ttl", "spec.is_protected");
    }

    @Test
    void absentOrEmptyMaskIsEmpty() {
        assertThat(PostgresApi.mask((String) null)).isEmpty();
        assertThat(PostgresApi.mask("  ")).isEmpty();
    }

    @Test
    void wildcardIsKept() {
        assertThat(PostgresApi.mask("*")).containsExactly("*");
    }
}
