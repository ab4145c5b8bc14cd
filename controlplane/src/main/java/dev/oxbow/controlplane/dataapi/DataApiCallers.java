package dev.oxbow.controlplane.dataapi;

import dev.oxbow.controlplane.resource.MetadataCache;
import dev.oxbow.auth.TokenClaims;
import dev.oxbow.auth.TokenException;
import dev.oxbow.auth.TokenService;
import dev.oxbow.controlplane.identity.AccessControl;
import dev.oxbow.controlplane.identity.IdentityService;
import dev.oxbow.controlplane.identity.Principal;
import dev.oxbow.dataapi.PostgrestException;
import dev.oxbow.metadata.Branch;
import dev.oxbow.metadata.MetadataStore;
import dev.oxbow.metadata.Project;
import dev.oxbow.metadata.Role;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Optional;

/**
 * Who a Data API request acts as: the bearer token is an Oxbow database credential (checked as the proxy checks it:
 * signature, expiry, minted for an endpoint of this branch, to an identity that still exists) or a personal access
 * token; the identity needs CAN_USE on the project and a Postgres role of its name on the branch. The answer for a
 * token is kept until the token expires or the metadata changes (a revoked token, a changed grant, a deleted role or
 * identity are all metadata writes), so a stream of requests with one token checks it once.
 */
final class DataApiCallers {
    /** The Postgres role a request switches to, and the claims policies can read ({@code request.jwt.claims}). */
    record Caller(String role, Map<String, Object> claims) {}

    /** A token's caller is checked once, then kept until the token expires or the metadata changes, at most this long. */
    private static final Duration MAX_KEPT = Duration.ofMinutes(5);

    private final MetadataStore store;
    private final IdentityService identity;
    private final TokenService tokens;
    private final AccessControl access;
    private final Clock clock;
    private final MetadataCache<Caller> cache;

    DataApiCallers(MetadataStore store, IdentityService identity, TokenService tokens, AccessControl access, Clock clock) {
        this.store = store;
        this.identity = identity;
        this.tokens = tokens;
        this.access = access;
        this.clock = clock;
        this.cache = new MetadataCache<>(store, clock, 10_000);
    }

    Caller resolve(String bearer, Project project, Branch branch) {
        if (bearer == null || bearer.isBlank()) {
            throw new PostgrestException(401, "PGRST302", "Anonymous access is disabled",
                    null, "Send 'Authorization: Bearer <token>' with an Oxbow database credential or a personal access token.");
        }
        String token = bearer.strip();
        // keyed by the token's hash: the cache holds no usable secret
        return cache.get(sha256(token) + "\n" + branch.name(), () -> check(token, project, branch));
    }

    private MetadataCache.Loaded<Caller> check(String token, Project project, Branch branch) {
        Principal principal;
        String via;
        Instant expires = clock.instant().plus(MAX_KEPT);
        if (TokenService.looksLikeToken(token)) {
            TokenClaims claims;
            try {
                claims = tokens.verify(token);
            } catch (TokenException e) {
                throw new PostgrestException(401, e.reason() == TokenException.Reason.EXPIRED ? "PGRST303" : "PGRST301",
                        e.reason() == TokenException.Reason.EXPIRED ? "JWT expired" : "The database credential is not valid", null,
                        "Generate a new one: POST /api/2.0/postgres/credentials");
            }
            if (!claims.scope().full()) {
                // a read-only or group credential limits a database login; the Data API would act with the subject's
                // full rights, so it takes unscoped credentials only
                throw new PostgrestException(401, "PGRST301", "Scoped database credentials (read-only tables, group role) are not"
                        + " accepted by the Data API", null, "Generate an unscoped credential, or use a personal access token.");
            }
            expires = min(expires, claims.expireTime());
            boolean ofThisBranch = store.endpoints().getByUid(claims.endpointUid())
                    .filter(e -> e.parentName().equals(branch.name())).isPresent();
            if (!ofThisBranch) {
                throw new PostgrestException(401, "PGRST301", "The database credential was issued for another branch's endpoint", null,
                        "Generate one for an endpoint of " + branch.name() + ".");
            }
            var holder = identity.byRoleName(claims.subject())
                    .filter(h -> !claims.issueTime().isBefore(h.createTime().truncatedTo(ChronoUnit.SECONDS)))
                    .orElseThrow(() -> new PostgrestException(401, "PGRST301", "The database credential's identity no longer exists", null, null));
            principal = holder.principal();
            via = "database_credential";
        } else {
            principal = identity.authenticate(token).orElseThrow(() -> new PostgrestException(401, "PGRST301",
                    "Invalid, expired or revoked access token", null, null));
            via = "personal_access_token";
            expires = min(expires, identity.expiryOf(token));
        }
        if (access.level(principal, project) == AccessControl.Level.NONE) {
            throw new PostgrestException(403, "42501", "\"" + principal.name() + "\" may not use project " + project.projectId(), null,
                    "Ask an owner to grant CAN_USE.");
        }
        Optional<Role> role = store.roles().list(branch.name()).stream()
                .filter(r -> r.identityType() != null && r.postgresRole().equals(principal.name())).findFirst();
        if (role.isEmpty()) {
            throw new PostgrestException(401, "PGRST301", "role \"" + principal.name() + "\" does not exist on branch " + branch.name(), null,
                    "Create it with the Role API (identity_type USER or SERVICE_PRINCIPAL).");
        }
        return new MetadataCache.Loaded<>(new Caller(principal.name(), Map.of("role", principal.name(), "sub", principal.name(),
                "oxbow_token", via)), expires);
    }

    private static Instant min(Instant a, Instant b) {
        return b == null || a.isBefore(b) ? a : b;
    }

    private static String sha256(String s) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(s.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
