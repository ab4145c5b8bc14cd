package dev.oxbow.controlplane.identity;

import dev.oxbow.auth.TokenService;
import dev.oxbow.controlplane.resource.Resources;
import dev.oxbow.controlplane.testing.FakeClock;
import dev.oxbow.controlplane.testing.Fixture;
import dev.oxbow.metadata.Branch;
import dev.oxbow.metadata.Project;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Instant;

import static dev.oxbow.controlplane.testing.ApiErrors.invalid;
import static org.assertj.core.api.Assertions.assertThat;

/** Database credentials: the requested expiry is the one signed and returned, to the second. */
class CredentialServiceTest {
    @TempDir
    Path dir;

    private Fixture f;
    private CredentialService credentials;
    private TokenService tokens;
    private final Principal alice = new Principal(Principal.USER, "1", "alice@example.com", "Alice", false);
    // mid-second, as a real clock always is: a lifetime computed from it and rounded down lost a second
    private final FakeClock clock = new FakeClock(Instant.parse("2026-03-01T07:30:00.750Z"));

    @BeforeEach
    void setUp() {
        f = new Fixture(dir);
        Project p = f.project("p1");
        Branch b = f.rootBranch(p, "production");
        f.primary(p, b, 0.5, 4, 300, dev.oxbow.metadata.EndpointState.ACTIVE);
        tokens = new TokenService(dir.resolve("keys"), clock);
        credentials = new CredentialService(tokens, new Resources(f.store), clock, f.store);
    }

    @AfterEach
    void tearDown() {
        f.close();
    }

    @Test
    void aRequestedExpireTimeIsKeptExactly() throws Exception {
        Instant asked = Instant.parse("2026-03-01T07:56:00Z");
        var c = credentials.generate(alice, "projects/p1/branches/production/endpoints/primary", null, asked);
        assertThat(c.expireTime()).isEqualTo(asked);
        assertThat(tokens.verify(c.token()).expireTime()).isEqualTo(asked);
    }

    @Test
    void aTtlCountsFromNowAndBoundsStillHold() {
        var c = credentials.generate(alice, "projects/p1/branches/production/endpoints/primary", 900L, null);
        assertThat(c.expireTime()).isEqualTo(Instant.parse("2026-03-01T07:45:00Z"));
        invalid(() -> credentials.generate(alice, "projects/p1/branches/production/endpoints/primary", null,
                Instant.parse("2026-03-01T09:00:00Z")), "3600s");
        invalid(() -> credentials.generate(alice, "projects/p1/branches/production/endpoints/primary", 60L, null), "300s");
    }
}
