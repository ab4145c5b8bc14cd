package dev.oxbow.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.oxbow.auth.TokenException.Reason;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Database login tokens: short-lived ES256 JWTs that clients present as the Postgres password, like Lakebase's
 * OAuth tokens. The signing keys live in {@code keyDir/token-keys.json} (0600, directory 0700).
 *
 * <p>One instance per key directory per process: keys added by {@link #rotate()} in another process are not seen
 * until this one is re-created. Thread-safe.
 */
public final class TokenService {
    private static final Logger log = LoggerFactory.getLogger(TokenService.class);

    public static final String ISSUER = "oxbow";
    static final String ENDPOINT_CLAIM = "endpoint";
    /** A scoped credential's tables it may only read, and the group role it logs in as (absent on full credentials). */
    static final String READ_ONLY_TABLES_CLAIM = "oxbow_read_only_tables";
    static final String GROUP_CLAIM = "oxbow_group";
    /** Real tokens are ~450 characters; anything far longer is not worth parsing. */
    private static final int MAX_TOKEN_CHARS = 4096;
    private static final int MAX_VERIFIED = 10_000;
    private static final Pattern TOKEN_SHAPE = Pattern.compile("[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+");

    private final Path keyDir;
    private final Clock clock;
    /** Replaced whole on rotation, so readers never see a half-updated ring. */
    private volatile SigningKeys keys;
    /**
     * Tokens whose signature was already checked, by their exact text: a client reconnecting with the same
     * credential (a pool, a psql loop) is not charged an ES256 verification each time. A hit still has its
     * expiry checked at the clock, and its key must still be in the ring; any other text (another token with
     * the same id, a changed signature) misses and is verified in full.
     */
    private final Map<String, Verified> verified = new ConcurrentHashMap<>();

    private record Verified(TokenClaims claims, String keyId) {}

    /**
     * Loads the key set from {@code keyDir}, creating the directory and a first key if absent.
     *
     * @throws UncheckedIOException if the directory cannot be written or the key file is unreadable (never reset:
     *                              that would silently invalidate every token issued)
     */
    public TokenService(Path keyDir, Clock clock) {
        this.keyDir = Objects.requireNonNull(keyDir, "keyDir");
        this.clock = Objects.requireNonNull(clock, "clock");
        try {
            SecureFiles.ensurePrivateDir(keyDir);
            this.keys = SigningKeys.loadOrCreate(keyDir, clock.instant());
        } catch (IOException e) {
            throw new UncheckedIOException("token key file " + keyDir.resolve(SigningKeys.FILE) + ": " + e.getMessage(), e);
        }
        log.info("token keys loaded dir={} kids={}", keyDir, keys.keyIds());
    }

    /**
     * Signs a token with the newest key. The lifetime is not bounded here; callers enforce their policy (the API
     * allows 300 to 3600 seconds, which key retention assumes).
     */
    public IssuedToken issue(String subject, String endpointName, String endpointUid, Duration ttl) {
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(endpointName, "endpointName");
        Objects.requireNonNull(endpointUid, "endpointUid");
        if (ttl == null || ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("token lifetime must be positive: " + ttl);
        }
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        return sign(subject, endpointName, endpointUid, now, now.plus(ttl).truncatedTo(ChronoUnit.SECONDS), TokenScope.FULL);
    }

    /**
     * Signs a token that expires exactly at {@code expireTime} (whole seconds: JWT times are; a fraction is dropped),
     * for callers that were asked for an absolute expiry rather than a lifetime.
     */
    public IssuedToken issueUntil(String subject, String endpointName, String endpointUid, Instant expireTime) {
        return issueUntil(subject, endpointName, endpointUid, expireTime, TokenScope.FULL);
    }

    /** A token expiring at {@code expireTime} that carries {@code scope} (signed, so a holder cannot widen it). */
    public IssuedToken issueUntil(String subject, String endpointName, String endpointUid, Instant expireTime, TokenScope scope) {
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(endpointName, "endpointName");
        Objects.requireNonNull(endpointUid, "endpointUid");
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        Instant expires = expireTime.truncatedTo(ChronoUnit.SECONDS);
        if (!expires.isAfter(now)) {
            throw new IllegalArgumentException("token expiry must be in the future: " + expireTime);
        }
        return sign(subject, endpointName, endpointUid, now, expires, scope);
    }

    private IssuedToken sign(String subject, String endpointName, String endpointUid, Instant now, Instant expires, TokenScope scope) {
        // JWT times are whole seconds: the returned expiry equals the signed one.
        String tokenId = UUID.randomUUID().toString();
        SigningKeys ring = keys;
        JWTClaimsSet claims = new JWTClaimsSet.Builder()
                .issuer(ISSUER)
                .subject(subject)
                .audience(endpointUid)
                .claim(ENDPOINT_CLAIM, endpointName)
                .issueTime(Date.from(now))
                .expirationTime(Date.from(expires))
                .jwtID(tokenId)
                .claim(READ_ONLY_TABLES_CLAIM, scope.readOnly() ? scope.readOnlyTables() : null)
                .claim(GROUP_CLAIM, scope.groupRole())
                .build();
        JWSHeader header = new JWSHeader.Builder(JWSAlgorithm.ES256)
                .keyID(ring.newest().getKeyID())
                .type(JOSEObjectType.JWT)
                .build();
        SignedJWT jwt = new SignedJWT(header, claims);
        try {
            jwt.sign(ring.signer());
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot sign token", e);
        }
        log.debug("token issued sub={} endpoint={} jti={} kid={} exp={}", subject, endpointName, tokenId,
                header.getKeyID(), expires);
        return new IssuedToken(jwt.serialize(), expires);
    }

    /** Checks signature (by kid, against every key in the set), issuer and expiry at the clock's current time. */
    public TokenClaims verify(String token) throws TokenException {
        if (token == null || token.length() > MAX_TOKEN_CHARS || !looksLikeToken(token)) {
            throw new TokenException(Reason.MALFORMED, "not a token: expected a JWT of three base64url segments");
        }
        Verified known = verified.get(token);
        if (known != null && keys.verifier(known.keyId()) != null) {
            return unexpired(known.claims());
        }
        Verified checked = verifySignatureAndClaims(token);
        remember(token, checked);
        return checked.claims();
    }

    private Verified verifySignatureAndClaims(String token) throws TokenException {
        SignedJWT jwt;
        try {
            jwt = SignedJWT.parse(token);
        } catch (ParseException e) {
            throw new TokenException(Reason.MALFORMED, "unparseable token: " + e.getMessage());
        }
        JWSHeader header = jwt.getHeader();
        // Only our own algorithm: refuses "none", HMAC-with-public-key and other algorithm confusion tricks.
        if (!JWSAlgorithm.ES256.equals(header.getAlgorithm())) {
            throw new TokenException(Reason.MALFORMED, "token algorithm " + header.getAlgorithm() + " is not ES256");
        }
        if (header.getKeyID() == null) {
            throw new TokenException(Reason.MALFORMED, "token has no key id (kid)");
        }
        JWSVerifier verifier = keys.verifier(header.getKeyID());
        if (verifier == null) {
            throw new TokenException(Reason.UNKNOWN_KEY, "token signed with unknown key kid=" + header.getKeyID()
                    + " (retired and pruned, or issued by another installation)");
        }
        try {
            if (!jwt.verify(verifier)) {
                throw new TokenException(Reason.BAD_SIGNATURE, "token signature is invalid");
            }
        } catch (JOSEException e) {
            throw new TokenException(Reason.BAD_SIGNATURE, "token signature is invalid: " + e.getMessage());
        }
        return new Verified(unexpired(claims(jwt)), header.getKeyID());
    }

    private TokenClaims unexpired(TokenClaims claims) throws TokenException {
        Instant now = clock.instant();
        if (!now.isBefore(claims.expireTime())) {
            throw new TokenException(Reason.EXPIRED, "token expired at " + claims.expireTime() + " (now " + now
                    + "); request a new one");
        }
        return claims;
    }

    /** Bounded: when full, expired entries go first, and if none has expired the cache starts over. */
    private void remember(String token, Verified checked) {
        if (verified.size() >= MAX_VERIFIED) {
            Instant now = clock.instant();
            verified.values().removeIf(v -> !now.isBefore(v.claims().expireTime()));
            if (verified.size() >= MAX_VERIFIED) {
                verified.clear();
            }
        }
        verified.put(token, checked);
    }

    /** Adds a new signing key and persists the set; older keys keep verifying until pruned. */
    public synchronized void rotate() {
        SigningKeys rotated = keys.rotated(clock.instant());
        try {
            rotated.save(keyDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save token keys in " + keyDir + ": " + e.getMessage(), e);
        }
        List<String> before = keys.keyIds();
        keys = rotated;
        log.info("token signing key rotated kid={} kept={} pruned={}", rotated.newest().getKeyID(),
                rotated.keyIds().size() - 1, before.stream().filter(k -> !rotated.keyIds().contains(k)).toList());
    }

    /**
     * Whether a password is shaped like a token (three base64url segments separated by dots), so a proxy can tell
     * tokens from ordinary passwords before verifying. A shape match is no proof: {@link #verify} decides.
     */
    public static boolean looksLikeToken(String password) {
        return password != null && password.length() <= MAX_TOKEN_CHARS && TOKEN_SHAPE.matcher(password).matches();
    }

    private static TokenClaims claims(SignedJWT jwt) throws TokenException {
        try {
            JWTClaimsSet set = jwt.getJWTClaimsSet();
            if (!ISSUER.equals(set.getIssuer())) {
                throw new TokenException(Reason.MALFORMED, "token issuer is not '" + ISSUER + "'");
            }
            List<String> audience = set.getAudience();
            String endpointName = set.getStringClaim(ENDPOINT_CLAIM);
            if (set.getSubject() == null || audience == null || audience.size() != 1 || endpointName == null
                    || set.getExpirationTime() == null || set.getJWTID() == null || set.getIssueTime() == null) {
                throw new TokenException(Reason.MALFORMED, "token lacks sub, a single aud, endpoint, iat, exp or jti");
            }
            List<String> tables = set.getStringListClaim(READ_ONLY_TABLES_CLAIM);
            return new TokenClaims(set.getSubject(), endpointName, audience.get(0),
                    set.getExpirationTime().toInstant(), set.getJWTID(), set.getIssueTime().toInstant(),
                    new TokenScope(tables, set.getStringClaim(GROUP_CLAIM)));
        } catch (ParseException e) {
            throw new TokenException(Reason.MALFORMED, "token claims unreadable: " + e.getMessage());
        }
    }
}
