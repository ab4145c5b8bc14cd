package dev.oxbow.auth;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A stored SCRAM-SHA-256 secret in PostgreSQL's {@code rolpassword} format,
 * {@code SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>}, so verifiers move freely between Oxbow and
 * PostgreSQL. It lets a server check a client's proof without knowing the password; the keys are secrets all the
 * same (whoever holds them can impersonate the server), so {@link #toString()} does not show them.
 */
public final class ScramVerifier {
    public static final String MECHANISM = "SCRAM-SHA-256";
    /** PostgreSQL's default scram_iterations. */
    public static final int DEFAULT_ITERATIONS = 4096;
    static final int SALT_BYTES = 16;
    static final int KEY_BYTES = 32;
    private static final Pattern FORMAT = Pattern.compile(
            "SCRAM-SHA-256\\$(\\d{1,9}):([A-Za-z0-9+/]+={0,2})\\$([A-Za-z0-9+/]+={0,2}):([A-Za-z0-9+/]+={0,2})");

    private final int iterations;
    private final byte[] salt;
    private final byte[] storedKey;
    private final byte[] serverKey;

    private ScramVerifier(int iterations, byte[] salt, byte[] storedKey, byte[] serverKey) {
        this.iterations = iterations;
        this.salt = salt.clone();
        this.storedKey = storedKey.clone();
        this.serverKey = serverKey.clone();
    }

    /**
     * A verifier for the password with a fresh random 16-byte salt and 4096 iterations, in PostgreSQL's text format
     * (what {@code CREATE ROLE ... PASSWORD} stores with password_encryption=scram-sha-256).
     *
     * @throws IllegalArgumentException for an empty password, which PostgreSQL refuses too
     */
    public static String create(char[] password) {
        byte[] salt = new byte[SALT_BYTES];
        new SecureRandom().nextBytes(salt);
        return derive(password, salt, DEFAULT_ITERATIONS).encode();
    }

    /**
     * Whether a cleartext password is the one this verifier was made from (constant-time on the keys), for clients that
     * send the password in clear because the endpoint was named inside it ({@code endpoint=<uid>;<password>}).
     */
    public boolean matchesPassword(char[] password) {
        return password.length > 0 && derive(password, salt, iterations).equals(this);
    }

    /** Deterministic derivation, as PostgreSQL's scram_build_secret does it (SASLprep per {@link SaslPrep}). */
    static ScramVerifier derive(char[] password, byte[] salt, int iterations) {
        byte[] passwordBytes = SaslPrep.prepare(new String(password)).getBytes(StandardCharsets.UTF_8);
        byte[] salted = hi(passwordBytes, salt, iterations);
        try {
            byte[] clientKey = hmac(salted, "Client Key");
            byte[] serverKey = hmac(salted, "Server Key");
            return new ScramVerifier(iterations, salt, sha256(clientKey), serverKey);
        } finally {
            Arrays.fill(passwordBytes, (byte) 0);
            Arrays.fill(salted, (byte) 0);
        }
    }

    /**
     * A verifier no password matches, for a user that does not exist: the exchange then runs to the end and fails
     * like a wrong password, as PostgreSQL does, instead of revealing which user names exist. The salt is derived
     * from the user name and a server secret so repeated attempts see the same salt.
     */
    public static ScramVerifier mock(String username, byte[] serverSecret) {
        byte[] digest = sha256(concat(serverSecret, username.getBytes(StandardCharsets.UTF_8)));
        byte[] impossible = new byte[KEY_BYTES];
        new SecureRandom().nextBytes(impossible);
        return new ScramVerifier(DEFAULT_ITERATIONS, Arrays.copyOf(digest, SALT_BYTES), impossible, impossible);
    }

    /**
     * Parses PostgreSQL's format.
     *
     * @throws IllegalArgumentException if the text is not a SCRAM-SHA-256 verifier (the message never echoes it)
     */
    public static ScramVerifier parse(String verifier) {
        if (verifier == null) {
            throw new IllegalArgumentException("SCRAM verifier is null");
        }
        Matcher m = FORMAT.matcher(verifier);
        if (!m.matches()) {
            String hint = verifier.startsWith("md5") ? " (an md5 password hash; SCRAM-SHA-256 is required)" : "";
            throw new IllegalArgumentException("malformed SCRAM verifier, expected "
                    + "SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>" + hint);
        }
        int iterations = Integer.parseInt(m.group(1));
        if (iterations < 1) {
            throw new IllegalArgumentException("malformed SCRAM verifier: iteration count must be positive");
        }
        Base64.Decoder decoder = Base64.getDecoder();
        byte[] salt;
        byte[] storedKey;
        byte[] serverKey;
        try {
            salt = decoder.decode(m.group(2));
            storedKey = decoder.decode(m.group(3));
            serverKey = decoder.decode(m.group(4));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("malformed SCRAM verifier: invalid base64");
        }
        if (storedKey.length != KEY_BYTES || serverKey.length != KEY_BYTES) {
            throw new IllegalArgumentException("malformed SCRAM verifier: StoredKey and ServerKey must be "
                    + KEY_BYTES + " bytes");
        }
        return new ScramVerifier(iterations, salt, storedKey, serverKey);
    }

    /** PostgreSQL's text format. */
    public String encode() {
        Base64.Encoder encoder = Base64.getEncoder();
        return MECHANISM + "$" + iterations + ":" + encoder.encodeToString(salt) + "$"
                + encoder.encodeToString(storedKey) + ":" + encoder.encodeToString(serverKey);
    }

    public int iterations() {
        return iterations;
    }

    public byte[] salt() {
        return salt.clone();
    }

    byte[] storedKey() {
        return storedKey.clone();
    }

    byte[] serverKey() {
        return serverKey.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ScramVerifier other && iterations == other.iterations && Arrays.equals(salt, other.salt)
                && MessageDigest.isEqual(storedKey, other.storedKey) && MessageDigest.isEqual(serverKey, other.serverKey);
    }

    @Override
    public int hashCode() {
        return 31 * iterations + Arrays.hashCode(salt);
    }

    @Override
    public String toString() {
        return "ScramVerifier[iterations=" + iterations + ", keys=<redacted>]";
    }

    static byte[] hmac(byte[] key, String message) {
        return hmac(key, message.getBytes(StandardCharsets.UTF_8));
    }

    static byte[] hmac(byte[] key, byte[] message) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(message);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("JDK lacks HmacSHA256", e);
        }
    }

    static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("JDK lacks SHA-256", e);
        }
    }

    /** RFC 5802 Hi(): PBKDF2 with HMAC-SHA-256 and one output block, over the UTF-8 bytes we chose. */
    private static byte[] hi(byte[] password, byte[] salt, int iterations) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            // An empty HMAC key is legal in HMAC but refused by SecretKeySpec; PostgreSQL allows empty passwords
            // only in theory (it refuses them at CREATE ROLE), so refuse them here too.
            if (password.length == 0) {
                throw new IllegalArgumentException("empty password");
            }
            mac.init(new SecretKeySpec(password, "HmacSHA256"));
            mac.update(salt);
            byte[] u = mac.doFinal(new byte[] {0, 0, 0, 1});
            byte[] result = u.clone();
            for (int i = 1; i < iterations; i++) {
                u = mac.doFinal(u);
                for (int j = 0; j < result.length; j++) {
                    result[j] ^= u[j];
                }
            }
            return result;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("JDK lacks HmacSHA256", e);
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
