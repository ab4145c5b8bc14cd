package dev.oxbow.auth;

/** A SCRAM exchange failed; the reason tells a wrong password (28P01 in PostgreSQL) from a protocol error (08P01). */
public final class ScramException extends Exception {
    public enum Reason {
        /** The message does not follow RFC 5802's grammar or PostgreSQL's use of it. */
        MALFORMED,
        /** Valid SCRAM, but a feature this server does not offer: channel binding, authzid, mandatory extensions. */
        UNSUPPORTED,
        /** The client-final nonce is not the one this exchange agreed on. */
        NONCE_MISMATCH,
        /** The proof does not match the stored verifier: the password is wrong (or the user does not exist). */
        INVALID_PROOF
    }

    private final Reason reason;

    public ScramException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
