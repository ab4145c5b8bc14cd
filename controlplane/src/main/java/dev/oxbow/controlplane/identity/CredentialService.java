package dev.oxbow.controlplane.identity;

import dev.oxbow.controlplane.resource.ApiException;
import dev.oxbow.controlplane.resource.Resources;
import dev.oxbow.auth.TokenService;
import dev.oxbow.metadata.Endpoint;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/** Short-lived database credentials: a signed token, scoped to one endpoint and the caller, used as the password. */
public final class CredentialService {
    private static final Logger log = LoggerFactory.getLogger(CredentialService.class);
    private static final long MIN_TTL = 300;
    private static final long MAX_TTL = 3600;

    private final TokenService tokens;
    private final Resources resources;
    private final Clock clock;

    public CredentialService(TokenService tokens, Resources resources, Clock clock) {
        this.tokens = tokens;
        this.resources = resources;
        this.clock = clock;
    }

    public record Credential(String token, Instant expireTime) {}

    public Credential generate(Principal caller, String endpointName, Long ttlSeconds, Instant expireTime) {
        if (endpointName == null) {
            throw ApiException.required("endpoint");
        }
        if (ttlSeconds != null && expireTime != null) {
            throw ApiException.invalid("Fields ttl and expire_time are mutually exclusive; set only one.");
        }
        Instant now = clock.instant();
        long ttl = ttlSeconds != null ? ttlSeconds
                : expireTime != null ? Duration.between(now, expireTime).getSeconds() : MAX_TTL;
        if (ttl < MIN_TTL || ttl > MAX_TTL) {
            throw ApiException.invalid("A database credential lives between " + MIN_TTL + "s and " + MAX_TTL
                    + "s (5 minutes to 1 hour); got " + ttl + "s.");
        }
        Endpoint endpoint = resources.endpoint(endpointName);
        // an asked-for expire_time is kept to the second, not recomputed from a lifetime rounded down
        var issued = expireTime != null ? tokens.issueUntil(caller.name(), endpoint.name(), endpoint.uid(), expireTime)
                : tokens.issue(caller.name(), endpoint.name(), endpoint.uid(), Duration.ofSeconds(ttl));
        log.info("database credential issued endpoint={} user={} expires={}", endpoint.name(), caller.name(), issued.expireTime());
        return new Credential(issued.token(), issued.expireTime());
    }
}
