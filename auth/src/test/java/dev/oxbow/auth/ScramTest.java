package dev.oxbow.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.oxbow.auth.ScramException.Reason;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.postgresql.shaded.com.ongres.scram.client.ScramClient;
import org.postgresql.shaded.com.ongres.scram.common.StringPreparation;

class ScramTest {
    /**
     * Verifiers computed by a real PostgreSQL 15 server ({@code SET password_encryption='scram-sha-256';
     * CREATE ROLE ... PASSWORD ...; SELECT rolpassword FROM pg_authid}).
     */
    private static final String PG_PENCIL = "SCRAM-SHA-256$4096:y7fPiS2ERfar1kWo32Sn4w==$"
            + "Sy+6pILqfwZm/zK3dvrVRKgg7i9UnxpU9vCDa+O4mgk=:5G3PjjqRnVxmep+2TimuMYoyOrqgOrcLQeGWZ/9J4mc=";
    /** Password E'p\u00e4ss w\u00f6rd\u00a0x\u00ad': exercises SASLprep's space mapping and mapped-to-nothing. */
    private static final String PG_NON_ASCII = "SCRAM-SHA-256$4096:cQKRpU7k3BBYHlgUjXB5wg==$"
            + "ojIxratZ8GvDp1KOcJ2AaGTUBrhmv7Mymlq6TqBu4Ow=:x8p91aZe5IqlxXX7qMRodzGrF2HbdSsfzRklfEALQC4=";
    private static final String PG_ALNUM = "SCRAM-SHA-256$4096:cypnxwGqFGAxidKlh0ZVqg==$"
            + "zHKfNxDbCl7/EQ7U9zUH388RwIEySPvLG71EmoVXUYk=:IMFUhck5/dSvOjJLTlzHgGK8JxayQQE8RFoAn8gcUL8=";

    @Test
    void rfc7677TestVector() throws Exception {
        ScramVerifier verifier = ScramVerifier.derive("pencil".toCharArray(),
                Base64.getDecoder().decode("W22ZaJ0SNY7soEsUEjb6gQ=="), 4096);
        ScramServerExchange exchange = new ScramServerExchange(verifier, () -> "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0");

        String serverFirst = exchange.handleClientFirst("n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
        assertThat(serverFirst).isEqualTo("r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096");

        String serverFinal = exchange.handleClientFinal("c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                + "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
        assertThat(serverFinal).isEqualTo("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
        assertThat(exchange.succeeded()).isTrue();
    }

    @Test
    void verifierMatchesWhatPostgresComputes() {
        assertThat(rederive(PG_PENCIL, "pencil")).isEqualTo(PG_PENCIL);
        assertThat(rederive(PG_NON_ASCII, "p\u00e4ss w\u00f6rd\u00a0x\u00ad")).isEqualTo(PG_NON_ASCII);
        assertThat(rederive(PG_ALNUM, "Zq7xK2mP9vR4tW8yB3nL")).isEqualTo(PG_ALNUM);
    }

    @Test
    void createdVerifierHasPostgresFormatAndRoundTrips() {
        String text = ScramVerifier.create("secret".toCharArray());

        assertThat(text).matches("SCRAM-SHA-256\\$4096:[A-Za-z0-9+/]{22}==\\$[A-Za-z0-9+/]{43}=:[A-Za-z0-9+/]{43}=");
        ScramVerifier parsed = ScramVerifier.parse(text);
        assertThat(parsed.encode()).isEqualTo(text);
        assertThat(parsed.iterations()).isEqualTo(4096);
        assertThat(parsed.salt()).hasSize(16);
        assertThat(parsed.toString()).doesNotContain(text.substring(text.lastIndexOf(':') + 1));
        assertThat(ScramVerifier.create("secret".toCharArray())).isNotEqualTo(text);
    }

    @Test
    void parseRejectsMalformedVerifiers() {
        for (String bad : List.of("", "md5c5e8cd8ae2ec8d1e8c5f8e0b8b9a2b11", "SCRAM-SHA-256$4096:salt$short:short",
                "SCRAM-SHA-1$4096:c2FsdA==$" + "A".repeat(43) + "=:" + "A".repeat(43) + "=",
                "SCRAM-SHA-256$0:c2FsdA==$" + "A".repeat(43) + "=:" + "A".repeat(43) + "=",
                "SCRAM-SHA-256$4096:c2FsdA==$" + "A".repeat(43) + "=")) {
            assertThatThrownBy(() -> ScramVerifier.parse(bad)).as(bad)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("malformed SCRAM verifier");
        }
        assertThatThrownBy(() -> ScramVerifier.parse("md5abc")).hasMessageContaining("md5");
        assertThatThrownBy(() -> ScramVerifier.parse(null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void pgjdbcScramClientLogsInWithTheRightPassword() throws Exception {
        String password = Passwords.generate();
        ScramVerifier verifier = ScramVerifier.parse(ScramVerifier.create(password.toCharArray()));

        assertThat(runPgjdbcClient(verifier, password)).isTrue();
        // And against a verifier a PostgreSQL server wrote, including SASLprep of a non-ASCII password.
        assertThat(runPgjdbcClient(ScramVerifier.parse(PG_PENCIL), "pencil")).isTrue();
        assertThat(runPgjdbcClient(ScramVerifier.parse(PG_NON_ASCII), "p\u00e4ss w\u00f6rd\u00a0x\u00ad")).isTrue();
    }

    @Test
    void pgjdbcScramClientIsRejectedWithAWrongPassword() throws Exception {
        ScramVerifier verifier = ScramVerifier.parse(ScramVerifier.create("right".toCharArray()));

        assertThatThrownBy(() -> runPgjdbcClient(verifier, "wrong"))
                .isInstanceOfSatisfying(ScramException.class, e -> assertThat(e.reason()).isEqualTo(Reason.INVALID_PROOF))
                .hasMessageContaining("password authentication failed");
    }

    @Test
    void mockVerifierFailsLikeAWrongPasswordWithAStableSalt() {
        byte[] secret = "server-secret".getBytes();
        ScramVerifier mock = ScramVerifier.mock("ghost", secret);

        assertThat(ScramVerifier.mock("ghost", secret).salt()).isEqualTo(mock.salt());
        assertThat(ScramVerifier.mock("other", secret).salt()).isNotEqualTo(mock.salt());
        assertThatThrownBy(() -> runPgjdbcClient(mock, "anything"))
                .isInstanceOfSatisfying(ScramException.class, e -> assertThat(e.reason()).isEqualTo(Reason.INVALID_PROOF));
    }

    @Test
    void rejectsATamperedNonce() throws Exception {
        ScramVerifier verifier = ScramVerifier.parse(ScramVerifier.create("pw".toCharArray()));
        ScramClient client = client("pw");
        ScramServerExchange exchange = new ScramServerExchange(verifier);
        client.serverFirstMessage(exchange.handleClientFirst(client.clientFirstMessage().toString()));
        String clientFinal = client.clientFinalMessage().toString();
        String tampered = clientFinal.replace(",r=", ",r=X");

        assertThat(tampered).isNotEqualTo(clientFinal);
        assertRejected(() -> exchange.handleClientFinal(tampered), Reason.NONCE_MISMATCH);
        assertThat(exchange.succeeded()).isFalse();
        assertThatThrownBy(() -> exchange.handleClientFinal(clientFinal)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void acceptsPsqlStyleMessagesWithEmptyUserAndYFlag() throws Exception {
        // libpq sends "n,,n=,r=..." (or "y,,..." over TLS when the server offers no -PLUS); the c= echoes the header.
        for (String gs2 : List.of("n,,", "y,,")) {
            ScramVerifier verifier = ScramVerifier.derive("pencil".toCharArray(),
                    Base64.getDecoder().decode("W22ZaJ0SNY7soEsUEjb6gQ=="), 4096);
            ScramServerExchange exchange = new ScramServerExchange(verifier);
            String clientFirstBare = "n=,r=fyko+d2lbbFgONRv9qkxdawL";
            String serverFirst = exchange.handleClientFirst(gs2 + clientFirstBare);
            String nonce = serverFirst.substring(2, serverFirst.indexOf(','));
            assertThat(nonce).startsWith("fyko+d2lbbFgONRv9qkxdawL").hasSize(24 + 24);

            String withoutProof = "c=" + Base64.getEncoder().encodeToString(gs2.getBytes()) + ",r=" + nonce;
            String authMessage = clientFirstBare + "," + serverFirst + "," + withoutProof;
            byte[] clientKey = ScramVerifier.hmac(saltedPencil(), "Client Key");
            byte[] signature = ScramVerifier.hmac(ScramVerifier.sha256(clientKey), authMessage);
            for (int i = 0; i < signature.length; i++) {
                signature[i] ^= clientKey[i];
            }
            String serverFinal = exchange.handleClientFinal(withoutProof + ",p=" + Base64.getEncoder().encodeToString(signature));
            assertThat(serverFinal).isEqualTo("v=" + Base64.getEncoder().encodeToString(
                    ScramVerifier.hmac(verifier.serverKey(), authMessage)));
        }
    }

    @Test
    void rejectsChannelBindingAndMalformedMessages() throws Exception {
        ScramVerifier verifier = ScramVerifier.parse(ScramVerifier.create("pw".toCharArray()));

        assertRejected(() -> new ScramServerExchange(verifier).handleClientFirst("p=tls-server-end-point,,n=,r=abc"),
                Reason.UNSUPPORTED);
        assertRejected(() -> new ScramServerExchange(verifier).handleClientFirst("n,a=admin,n=,r=abc"), Reason.UNSUPPORTED);
        assertRejected(() -> new ScramServerExchange(verifier).handleClientFirst("n,,m=ext,n=,r=abc"), Reason.UNSUPPORTED);
        for (String bad : List.of("", "x,,n=,r=abc", "n,,r=abc", "n,,n=,r=", "n,,n=", "n,n=,r=abc", "n,,n=,r=a b")) {
            assertRejected(() -> new ScramServerExchange(verifier).handleClientFirst(bad), Reason.MALFORMED);
        }
        assertRejected(() -> new ScramServerExchange(verifier).handleClientFirst(null), Reason.MALFORMED);

        for (String bad : List.of("c=biws,r=x", "c=biws,p=AAAA", "c=eSws,r=NONCE,p=" + "A".repeat(43) + "=",
                "c=biws,r=NONCE,p=!!!", "c=biws,r=NONCE,p=AAAA")) {
            ScramServerExchange exchange = new ScramServerExchange(verifier);
            String serverFirst = exchange.handleClientFirst("n,,n=,r=abc");
            String nonce = serverFirst.substring(2, serverFirst.indexOf(','));
            assertRejected(() -> exchange.handleClientFinal(bad.replace("NONCE", nonce)), Reason.MALFORMED);
        }
        assertThatThrownBy(() -> new ScramServerExchange(verifier).handleClientFinal("c=biws"))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void generatedPasswordsAreAlphanumericWithEnoughEntropy() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            String password = Passwords.generate();
            assertThat(password).matches("[A-Za-z0-9]{24}");
            seen.add(password);
        }
        assertThat(seen).hasSize(200);
        assertThat(Passwords.LENGTH * Math.log(62) / Math.log(2)).isGreaterThan(60);
    }

    /** Runs pgjdbc's own SCRAM client (username "*", PostgreSQL string preparation) against our server side. */
    private static boolean runPgjdbcClient(ScramVerifier verifier, String password) throws Exception {
        ScramClient client = client(password);
        ScramServerExchange exchange = new ScramServerExchange(verifier);
        String clientFirst = client.clientFirstMessage().toString();
        assertThat(clientFirst).startsWith("n,,n=*,r=");
        client.serverFirstMessage(exchange.handleClientFirst(clientFirst));
        String serverFinal = exchange.handleClientFinal(client.clientFinalMessage().toString());
        client.serverFinalMessage(serverFinal); // throws if our ServerSignature is wrong
        return exchange.succeeded();
    }

    private static ScramClient client(String password) {
        return ScramClient.builder()
                .advertisedMechanisms(List.of(ScramServerExchange.MECHANISM))
                .username("*")
                .password(password.toCharArray())
                .stringPreparation(StringPreparation.POSTGRESQL_PREPARATION)
                .build();
    }

    private static String rederive(String postgresVerifier, String password) {
        ScramVerifier parsed = ScramVerifier.parse(postgresVerifier);
        return ScramVerifier.derive(password.toCharArray(), parsed.salt(), parsed.iterations()).encode();
    }

    /** RFC 7677's SaltedPassword for "pencil", computed independently with the JDK's PBKDF2. */
    private static byte[] saltedPencil() throws Exception {
        var spec = new javax.crypto.spec.PBEKeySpec("pencil".toCharArray(),
                Base64.getDecoder().decode("W22ZaJ0SNY7soEsUEjb6gQ=="), 4096, 256);
        return javax.crypto.SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
    }

    private static void assertRejected(ThrowingCallable call, Reason reason) {
        assertThatThrownBy(call).isInstanceOfSatisfying(ScramException.class, e -> assertThat(e.reason()).isEqualTo(reason));
    }
}
