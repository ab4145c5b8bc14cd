package dev.oxbow.auth;

/** A token was rejected. Messages never contain the token itself. */
public final class TokenException extends Exception {
    public enum Reason {
        /** Not a JWT, not ES256, or missing claims Oxbow always sets. */
        MALFORMED,
        /** Signed with a key this installation does not have (pruned after rotation, or another installation's). */
        UNKNOWN_KEY,
        /** The signature does not verify: the token was altered or forged. */
        BAD_SIGNATURE,
        /** Genuine but past its expiry time. */
        EXPIRED
    }

    private final Reason reason;

    public TokenException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
