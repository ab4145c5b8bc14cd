package dev.oxbow.controlplane.sql;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Which of a read-only credential's tables a login to one database reads, and the role it runs as. */
class ScopedRolesTest {
    @Test
    void tablesAreQualifiedAndOtherDatabasesLeftOut() {
        assertThat(ScopedRoles.tablesIn("app", List.of("t", "s.u", "app.s.v", "other.s.w", "public.t")))
                .containsExactly("public.t", "s.u", "s.v");
        assertThat(ScopedRoles.tablesIn("app", List.of("other.s.w"))).isEmpty();
    }

    @Test
    void eachCredentialHasItsOwnUnguessableRole() {
        String a = ScopedRoles.roleFor("6b3f0c1e-token-a");
        assertThat(a).startsWith(ScopedRoles.PREFIX).hasSize(ScopedRoles.PREFIX.length() + 24).matches("[a-z0-9_]+");
        assertThat(ScopedRoles.roleFor("6b3f0c1e-token-b")).isNotEqualTo(a);
        assertThat(ScopedRoles.roleFor("6b3f0c1e-token-a")).isEqualTo(a);
    }
}
