package dev.oxbow.auth;

import dev.oxbow.auth.ScramException.Reason;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.function.Supplier;

/**
 * The server side of one SCRAM-SHA-256 login (RFC 5802, RFC 7677), following PostgreSQL's auth-scram.c: the SASL
 * mechanism is offered without channel binding ("SCRAM-SHA-256", not "-PLUS"), the user name inside the SCRAM
 * messages is ignored (PostgreSQL clients send {@code n=} empty or {@code n=*}; the startup packet names the user),
 * and nothing but the stored verifier is needed. One instance per attempt; not thread-safe.
 */
public final class ScramServerExchange {
    public static final String MECHANISM = ScramVerifier.MECHANISM;
    private static final int SERVER_NONCE_BYTES = 18;

    private enum State { AWAITING_CLIENT_FIRST, AWAITING_CLIENT_FINAL, SUCCEEDED, FAILED }

    private final ScramVerifier verifier;
    private final Supplier<String> serverNonceSupplier;
    private State state = State.AWAITING_CLIENT_FIRST;
    private String gs2Header;
    private String clientFirstBare;
    private String serverFirst;
    private String nonce;

    public ScramServerExchange(ScramVerifier verifier) {
        this(verifier, ScramServerExchange::randomServerNonce);
    }

    /** For test vectors, which fix the server's half of the nonce. */
    ScramServerExchange(ScramVerifier verifier, Supplier<String> serverNonceSupplier) {
        this.verifier = verifier;
        this.serverNonceSupplier = serverNonceSupplier;
    }

    /**
     * Reads the client-first-message (the SASLInitialResponse data) and returns the server-first-message.
     *
     * @throws ScramException MALFORMED or UNSUPPORTED (a {@code p=} channel binding request, an authzid, an "m=")
     */
    public String handleClientFirst(String clientFirstMessage) throws ScramException {
        expect(State.AWAITING_CLIENT_FIRST);
        state = State.FAILED;
        String message = require(clientFirstMessage);
        // gs2-header: ("n" / "y" / "p=" cb-name) "," [authzid] ","
        char flag = message.isEmpty() ? 0 : message.charAt(0);
        if (flag == 'p') {
            throw new ScramException(Reason.UNSUPPORTED, "channel binding is not supported: the server offers "
                    + MECHANISM + " only, not " + MECHANISM + "-PLUS");
        }
        if ((flag != 'n' && flag != 'y') || message.length() < 2 || message.charAt(1) != ',') {
            throw malformed("client-first-message must start with 'n,', 'y,' or 'p='");
        }
        int authzidEnd = message.indexOf(',', 2);
        if (authzidEnd < 0) {
            throw malformed("client-first-message has an incomplete GS2 header");
        }
        if (authzidEnd > 2) {
            if (!message.startsWith("a=", 2)) {
                throw malformed("client-first-message has a malformed GS2 header");
            }
            throw new ScramException(Reason.UNSUPPORTED, "authorization identity (a=) is not supported");
        }
        gs2Header = message.substring(0, authzidEnd + 1);
        clientFirstBare = message.substring(authzidEnd + 1);
        if (clientFirstBare.startsWith("m=")) {
            throw new ScramException(Reason.UNSUPPORTED, "mandatory SCRAM extensions (m=) are not supported");
        }
        String[] attributes = clientFirstBare.split(",", -1);
        if (attributes.length < 2 || !attributes[0].startsWith("n=")) {
            throw malformed("client-first-message lacks the user name attribute (n=)");
        }
        String clientNonce = value(attributes[1], 'r');
        if (clientNonce.isEmpty() || !clientNonce.chars().allMatch(c -> c >= 0x21 && c <= 0x7e)) {
            throw malformed("client nonce must be printable ASCII without commas");
        }
        checkExtensions(attributes, 2);
        nonce = clientNonce + serverNonceSupplier.get();
        serverFirst = "r=" + nonce + ",s=" + Base64.getEncoder().encodeToString(verifier.salt())
                + ",i=" + verifier.iterations();
        state = State.AWAITING_CLIENT_FINAL;
        return serverFirst;
    }

    /**
     * Checks the client-final-message's proof and returns the server-final-message ({@code v=<ServerSignature>}),
     * which the caller sends in AuthenticationSASLFinal before AuthenticationOk.
     *
     * @throws ScramException INVALID_PROOF for a wrong password, NONCE_MISMATCH, MALFORMED
     */
    public String handleClientFinal(String clientFinalMessage) throws ScramException {
        expect(State.AWAITING_CLIENT_FINAL);
        state = State.FAILED;
        String message = require(clientFinalMessage);
        int proofAt = message.lastIndexOf(",p=");
        if (proofAt < 0) {
            throw malformed("client-final-message lacks the proof (p=)");
        }
        String withoutProof = message.substring(0, proofAt);
        byte[] proof = base64(message.substring(proofAt + 3), "proof");
        String[] attributes = withoutProof.split(",", -1);
        if (attributes.length < 2) {
            throw malformed("client-final-message lacks channel binding (c=) or nonce (r=)");
        }
        byte[] channelBinding = base64(value(attributes[0], 'c'), "channel binding");
        // Without channel binding, c= carries the GS2 header back; anything else is a client/server mismatch.
        if (!MessageDigest.isEqual(channelBinding, gs2Header.getBytes(StandardCharsets.UTF_8))) {
            throw malformed("channel binding data (c=) does not match the GS2 header of the client-first-message");
        }
        if (!MessageDigest.isEqual(value(attributes[1], 'r').getBytes(StandardCharsets.UTF_8),
                nonce.getBytes(StandardCharsets.UTF_8))) {
            throw new ScramException(Reason.NONCE_MISMATCH, "client-final-message nonce does not match");
        }
        checkExtensions(attributes, 2);
        if (proof.length != ScramVerifier.KEY_BYTES) {
            throw malformed("proof must be " + ScramVerifier.KEY_BYTES + " bytes");
        }
        String authMessage = clientFirstBare + "," + serverFirst + "," + withoutProof;
        byte[] storedKey = verifier.storedKey();
        byte[] clientKey = ScramVerifier.hmac(storedKey, authMessage);
        for (int i = 0; i < clientKey.length; i++) {
            clientKey[i] ^= proof[i];
        }
        if (!MessageDigest.isEqual(ScramVerifier.sha256(clientKey), storedKey)) {
            throw new ScramException(Reason.INVALID_PROOF, "password authentication failed: invalid SCRAM proof");
        }
        state = State.SUCCEEDED;
        return "v=" + Base64.getEncoder().encodeToString(ScramVerifier.hmac(verifier.serverKey(), authMessage));
    }

    /** True once a client-final-message carried a valid proof. */
    public boolean succeeded() {
        return state == State.SUCCEEDED;
    }

    private void expect(State expected) {
        if (state != expected) {
            throw new IllegalStateException("SCRAM exchange is " + state + ", not " + expected);
        }
    }

    private static String require(String message) throws ScramException {
        if (message == null) {
            throw malformed("empty SCRAM message");
        }
        return message;
    }

    /** An "x=value" attribute with the expected name. */
    private static String value(String attribute, char name) throws ScramException {
        if (attribute.length() < 2 || attribute.charAt(0) != name || attribute.charAt(1) != '=') {
            throw malformed("expected attribute '" + name + "=' in SCRAM message");
        }
        return attribute.substring(2);
    }

    /** Optional extensions are ignored, as PostgreSQL does, but must still look like attributes. */
    private static void checkExtensions(String[] attributes, int from) throws ScramException {
        for (int i = from; i < attributes.length; i++) {
            String a = attributes[i];
            if (a.length() < 2 || !Character.isLetter(a.charAt(0)) || a.charAt(1) != '=') {
                throw malformed("malformed SCRAM attribute");
            }
        }
    }

    private static byte[] base64(String text, String what) throws ScramException {
        try {
            return Base64.getDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            throw malformed("invalid base64 in " + what);
        }
    }

    private static ScramException malformed(String message) {
        return new ScramException(Reason.MALFORMED, message);
    }

    private static String randomServerNonce() {
        byte[] random = new byte[SERVER_NONCE_BYTES];
        new SecureRandom().nextBytes(random);
        return Base64.getEncoder().encodeToString(random);
    }
}
