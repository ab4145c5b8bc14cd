package dev.oxbow.controlplane.identity;

import dev.oxbow.controlplane.resource.ApiException;
import dev.oxbow.controlplane.resource.Resources;
import dev.oxbow.auth.TokenScope;
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

    private static final int MAX_SCOPED_TABLES = 20;
    /** {@code table}, {@code schema.table} or {@code database.schema.table}; plain identifiers (quoted ones are not accepted). */
    private static final java.util.regex.Pattern TABLE_NAME =
            java.util.regex.Pattern.compile("[A-Za-z_][A-Za-z0-9_$]{0,62}(\\.[A-Za-z_][A-Za-z0-9_$]{0,62}){0,2}");

    private final TokenService tokens;
    private final Resources resources;
    private final Clock clock;
    private final dev.oxbow.metadata.MetadataStore store;

    public CredentialService(TokenService tokens, Resources resources, Clock clock) {
        this(tokens, resources, clock, null);
    }

    public CredentialService(TokenService tokens, Resources resources, Clock clock, dev.oxbow.metadata.MetadataStore store) {
        this.store = store;
        this.tokens = tokens;
        this.resources = resources;
        this.clock = clock;
    }

    public record Credential(String token, Instant expireTime) {}

    private static void checkTableName(String table) {
        if (table == null || !TABLE_NAME.matcher(table).matches()) {
            throw ApiException.invalid("Field claims.resources.table_name must be table, schema.table or database.schema.table of plain "
                    + "identifiers, got '" + table + "'.");
        }
    }

    public Credential generate(Principal caller, String endpointName, Long ttlSeconds, Instant expireTime) {
        return generate(caller, endpointName, ttlSeconds, expireTime, TokenScope.FULL);
    }

    /**
     * A credential narrowed by {@code scope}: READ_ONLY claims on tables (the login reads only those, enforced by the
     * Postgres role it is mapped to) and a group (the login is the group's role; the caller must be a member).
     */
    public Credential generate(Principal caller, String endpointName, Long ttlSeconds, Instant expireTime, TokenScope scope) {
        TokenScope sc = scope == null ? TokenScope.FULL : scope;
        for (String table : sc.readOnlyTables()) {
            checkTableName(table);
        }
        if (sc.readOnlyTables().size() > MAX_SCOPED_TABLES) {
            throw ApiException.invalid("A credential can be scoped to at most " + MAX_SCOPED_TABLES + " tables; got " + sc.readOnlyTables().size() + ".");
        }
        if (sc.groupRole() != null) {
            var group = store.identities().groupByName(sc.groupRole())
                    .orElseThrow(() -> ApiException.invalid("Field group_name names no group: '" + sc.groupRole() + "'."));
            if (!group.memberIds().contains(caller.id())) {
                throw new ApiException(403, "PERMISSION_DENIED", caller.name() + " is not a member of group '" + sc.groupRole()
                        + "' and cannot get its credentials.");
            }
        }
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
        Instant until = expireTime != null ? expireTime : now.truncatedTo(java.time.temporal.ChronoUnit.SECONDS).plusSeconds(ttl);
        var issued = tokens.issueUntil(caller.name(), endpoint.name(), endpoint.uid(), until, sc);
        log.info("database credential issued endpoint={} user={} expires={}", endpoint.name(), caller.name(), issued.expireTime());
        return new Credential(issued.token(), issued.expireTime());
    }
}
