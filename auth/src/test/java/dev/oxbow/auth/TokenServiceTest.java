package dev.oxbow.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jwt.SignedJWT;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Base64;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenServiceTest {
    private static final Duration HOUR = Duration.ofHours(1);

    @TempDir
    Path tmp;

    private final MutableClock clock = new MutableClock(Instant.parse("2030-05-01T12:00:00.250Z"));

    @Test
    void issuesAndVerifiesTokens() throws Exception {
        TokenService tokens = new TokenService(tmp.resolve("keys"), clock);

        IssuedToken issued = tokens.issue("alice@example.com", "ep-abc", "uid-123", HOUR);

        assertThat(issued.expireTime()).isEqualTo(Instant.parse("2030-05-01T13:00:00Z"));
        assertThat(TokenService.looksLikeToken(issued.token())).isTrue();
        assertThat(issued.toString()).doesNotContain(issued.token());
        TokenClaims claims = tokens.verify(issued.token());
        assertThat(claims.subject()).isEqualTo("alice@example.com");
        assertThat(claims.endpointName()).isEqualTo("ep-abc");
        assertThat(claims.endpointUid()).isEqualTo("uid-123");
        assertThat(claims.expireTime()).isEqualTo(issued.expireTime());
        assertThat(claims.tokenId()).isNotBlank();

        var jwt = SignedJWT.parse(issued.token());
        assertThat(jwt.getHeader().getAlgorithm().getName()).isEqualTo("ES256");
        assertThat(jwt.getHeader().getKeyID()).isNotBlank();
        assertThat(jwt.getJWTClaimsSet().getIssuer()).isEqualTo("oxbow");
        assertThat(jwt.getJWTClaimsSet().getAudience()).containsExactly("uid-123");
        assertThat(jwt.getJWTClaimsSet().getStringClaim("endpoint")).isEqualTo("ep-abc");
        assertThat(jwt.getJWTClaimsSet().getIssueTime().toInstant()).isEqualTo(Instant.parse("2030-05-01T12:00:00Z"));
        assertThat(tokens.issue("alice@example.com", "ep-abc", "uid-123", HOUR).token()).isNotEqualTo(issued.token());
    }

    @Test
    void rejectsExpiredTokens() throws Exception {
        TokenService tokens = new TokenService(tmp, clock);
        IssuedToken issued = tokens.issue("bob", "ep", "uid", Duration.ofMinutes(5));

        clock.advance(Duration.ofMinutes(5).minusMillis(251));
        assertThat(tokens.verify(issued.token()).subject()).isEqualTo("bob");

        clock.advance(Duration.ofMillis(1));
        assertRejected(() -> tokens.verify(issued.token()), TokenException.Reason.EXPIRED, "expired");
    }

    @Test
    void rejectsTamperedTokens() {
        TokenService tokens = new TokenService(tmp, clock);
        String[] parts = tokens.issue("bob", "ep", "uid", HOUR).token().split("\\.");
        Base64.Decoder decoder = Base64.getUrlDecoder();
        Base64.Encoder encoder = Base64.getUrlEncoder().withoutPadding();

        String payload = new String(decoder.decode(parts[1]), StandardCharsets.UTF_8).replace("\"bob\"", "\"eve\"");
        String forgedClaims = parts[0] + "." + encoder.encodeToString(payload.getBytes(StandardCharsets.UTF_8)) + "." + parts[2];
        assertRejected(() -> tokens.verify(forgedClaims), TokenException.Reason.BAD_SIGNATURE, "signature");

        byte[] signature = decoder.decode(parts[2]);
        signature[10] ^= 1;
        String forgedSignature = parts[0] + "." + parts[1] + "." + encoder.encodeToString(signature);
        assertRejected(() -> tokens.verify(forgedSignature), TokenException.Reason.BAD_SIGNATURE, "signature");
    }

    @Test
    void aTokenVerifiedOnceLendsNothingToAForgeryOfIt() throws Exception {
        TokenService tokens = new TokenService(tmp, clock);
        String token = tokens.issue("bob", "ep", "uid", HOUR).token();
        assertThat(tokens.verify(token).subject()).isEqualTo("bob"); // now remembered as verified
        String[] parts = token.split("\\.");
        Base64.Decoder decoder = Base64.getUrlDecoder();
        Base64.Encoder encoder = Base64.getUrlEncoder().withoutPadding();

        // same token id, same signature, other subject: not the text that was verified, so checked in full
        String payload = new String(decoder.decode(parts[1]), StandardCharsets.UTF_8).replace("\"bob\"", "\"eve\"");
        String forged = parts[0] + "." + encoder.encodeToString(payload.getBytes(StandardCharsets.UTF_8)) + "." + parts[2];
        assertRejected(() -> tokens.verify(forged), TokenException.Reason.BAD_SIGNATURE, "signature");
        // and the remembered one still expires on time
        clock.advance(HOUR);
        assertRejected(() -> tokens.verify(token), TokenException.Reason.EXPIRED, "expired");
    }

    @Test
    void rejectsTokensFromUnknownKeysAndMalformedInput() {
        TokenService tokens = new TokenService(tmp.resolve("a"), clock);
        TokenService stranger = new TokenService(tmp.resolve("b"), clock);
        String foreign = stranger.issue("bob", "ep", "uid", HOUR).token();

        assertRejected(() -> tokens.verify(foreign), TokenException.Reason.UNKNOWN_KEY, "unknown key");
        assertRejected(() -> tokens.verify("hunter2"), TokenException.Reason.MALFORMED, "not a token");
        assertRejected(() -> tokens.verify("a.b.c"), TokenException.Reason.MALFORMED, "unparseable");
        assertRejected(() -> tokens.verify(null), TokenException.Reason.MALFORMED, "not a token");

        String[] parts = foreign.split("\\.");
        String none = Base64.getUrlEncoder().withoutPadding().encodeToString("{\"alg\":\"none\"}".getBytes(StandardCharsets.UTF_8));
        assertRejected(() -> tokens.verify(none + "." + parts[1] + "." + parts[2]), TokenException.Reason.MALFORMED, "");
    }

    @Test
    void rotationKeepsOldTokensValidUntilTheirKeyIsPruned() throws Exception {
        TokenService tokens = new TokenService(tmp, clock);
        IssuedToken before = tokens.issue("bob", "ep", "uid", HOUR);

        tokens.rotate();
        IssuedToken after = tokens.issue("bob", "ep", "uid", HOUR);

        assertThat(kid(after)).isNotEqualTo(kid(before));
        assertThat(tokens.verify(before.token()).subject()).isEqualTo("bob");
        assertThat(tokens.verify(after.token()).subject()).isEqualTo("bob");

        // The first key was retired at the rotation; a rotation within the retention keeps it...
        clock.advance(Duration.ofMinutes(30));
        tokens.rotate();
        assertThat(tokens.verify(before.token()).subject()).isEqualTo("bob");
        // ...one after it drops it (its tokens expired long ago).
        clock.advance(SigningKeys.RETIRED_KEY_RETENTION);
        tokens.rotate();
        assertRejected(() -> tokens.verify(before.token()), TokenException.Reason.UNKNOWN_KEY, "unknown key");
    }

    @Test
    void keysPersistAcrossRestarts() throws Exception {
        Path dir = tmp.resolve("state").resolve("keys");
        TokenService first = new TokenService(dir, clock);
        IssuedToken old = first.issue("bob", "ep", "uid", HOUR);
        first.rotate();
        IssuedToken current = first.issue("carol", "ep", "uid", HOUR);

        TokenService reopened = new TokenService(dir, clock);

        assertThat(reopened.verify(old.token()).subject()).isEqualTo("bob");
        assertThat(reopened.verify(current.token()).subject()).isEqualTo("carol");
        assertThat(kid(reopened.issue("dave", "ep", "uid", HOUR))).isEqualTo(kid(current));
        Path file = dir.resolve("token-keys.json");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir))).isEqualTo("rwx------");
        assertThat(Files.readString(file)).contains("\"kid\"", "\"iat\"", "\"crv\":\"P-256\"", "\"d\"");
    }

    @Test
    void refusesToResetAnUnreadableKeyFile() throws Exception {
        Files.writeString(tmp.resolve("token-keys.json"), "{not json");

        assertThatThrownBy(() -> new TokenService(tmp, clock))
                .isInstanceOf(UncheckedIOException.class).hasMessageContaining("token-keys.json");
    }

    @Test
    void recognisesTokenShapedPasswords() {
        assertThat(TokenService.looksLikeToken("eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln-_0")).isTrue();
        assertThat(TokenService.looksLikeToken("Zq7xK2mP9vR4tW8yB3nL")).isFalse();
        assertThat(TokenService.looksLikeToken("a.b")).isFalse();
        assertThat(TokenService.looksLikeToken("a..c")).isFalse();
        assertThat(TokenService.looksLikeToken("a.b.c=")).isFalse();
        assertThat(TokenService.looksLikeToken(null)).isFalse();
    }

    private static String kid(IssuedToken token) throws Exception {
        return SignedJWT.parse(token.token()).getHeader().getKeyID();
    }

    private static void assertRejected(ThrowingCallable call, TokenException.Reason reason, String message) {
        assertThatThrownBy(call).isInstanceOfSatisfying(TokenException.class,
                e -> assertThat(e.reason()).isEqualTo(reason)).hasMessageContaining(message);
    }

    /** A clock tests move by hand. */
    static final class MutableClock extends Clock {
        private volatile Instant now;

        MutableClock(Instant start) {
            this.now = start;
        }

        void advance(Duration by) {
            now = now.plus(by);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
