package dev.oxbow.proxy;

import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * What the proxy needs from the control plane: which endpoint a host name means, how a role logs in,
 * and a running server to hand the connection to. Implementations are thread-safe.
 */
public interface ProxyBackend {

    /** The endpoint with this uid, or empty if there is none (or it was deleted). */
    Optional<EndpointTarget> resolve(String endpointUid);

    /** How {@code pgUser} may log in on the endpoint's branch, or empty if no such role exists there. */
    Optional<RoleLogin> role(EndpointTarget target, String pgUser);

    /**
     * Counts a client connection against the endpoint (so it is not suspended) and makes sure its server
     * runs: completes with the server's socket directory once it accepts connections. Concurrent calls share
     * one wake-up. Every successful acquire is paired with one {@link #release}.
     */
    CompletableFuture<Path> acquire(String endpointUid);

    /**
     * Like {@link #acquire}, for a pooled host: counts the connection and wakes the compute the same way, but completes
     * with the socket directory of the endpoint's connection pooler. Paired with one {@link #release} as well.
     */
    default CompletableFuture<Path> acquirePooled(String endpointUid) {
        return CompletableFuture.failedFuture(new IllegalStateException("this server has no pooled hosts"));
    }

    /**
     * Time travel: a read-only server at {@code at} of the endpoint's branch, started for this connection or shared
     * with earlier ones at the same point; the session's {@code release} runs once the connection ends. Completes
     * exceptionally with a {@link Refused} (its SQLSTATE and message go to the client) for a point outside the restore
     * window or in the future. Never runs on the caller's thread.
     */
    default CompletableFuture<PastSession> acquireAt(EndpointTarget target, PastPoint at) {
        return CompletableFuture.failedFuture(new Refused("0A000", "time travel is not supported by this server"));
    }

    /** A connection's hold on a time-travel server: where it listens, under which uid its sessions are tracked, and the release. */
    record PastSession(String computeUid, Path socketDir, Runnable release) {}

    /** A refusal the client is told as it is, with its SQLSTATE. */
    final class Refused extends RuntimeException {
        private final String sqlState;

        public Refused(String sqlState, String message) {
            super(message, null, false, false);
            this.sqlState = sqlState;
        }

        public String sqlState() {
            return sqlState;
        }
    }

    /** The connection counted by {@link #acquire} ended. */
    void release(String endpointUid);

    /**
     * Why the identity behind a database credential may not log in to this endpoint now (deleted or
     * deactivated, or no longer allowed to use the project, or the credential was issued before the identity now
     * holding that name was created — to a deleted namesake), or empty if it may.
     */
    Optional<String> loginRefusal(EndpointTarget target, String identity, java.time.Instant issueTime);

    /**
     * The Postgres role the session of a READ_ONLY scoped credential (token id {@code credentialId}, valid until
     * {@code expireTime}) runs as in {@code database} on the server at {@code socketDir}: one made for that credential that
     * can log in and read {@code tables}, which {@code login} must be able to read itself, and nothing else. Completes
     * exceptionally with a message for the client when no such role can be given. Never runs on the caller's thread.
     */
    default CompletableFuture<String> readOnlyRole(EndpointTarget target, Path socketDir, String login, String database,
                                                   java.util.List<String> tables, String credentialId, java.time.Instant expireTime) {
        return CompletableFuture.failedFuture(new IllegalStateException("read-only scoped credentials are not supported by this server"));
    }

    /** Why {@code identity} may not log in as the role of group {@code group} (it is not, or no longer, a member), or empty. */
    default Optional<String> groupRefusal(String identity, String group) {
        return Optional.of("group credentials are not supported by this server");
    }

    /** Records a login attempt, accepted or refused, for the audit log. {@code target} is null if routing failed. */
    void loginAttempt(EndpointTarget target, String user, String remote, boolean accepted, String detail);

    /** An endpoint as the proxy sees it. */
    record EndpointTarget(String endpointUid, String endpointName, String branchName, boolean disabled, boolean nativeLogin,
                          String addressedUid, boolean pooled) {
        public EndpointTarget(String endpointUid, String endpointName, String branchName, boolean disabled, boolean nativeLogin) {
            this(endpointUid, endpointName, branchName, disabled, nativeLogin, endpointUid, false);
        }

        /** The server behind a host name the client used for another endpoint (a read-only host). */
        public EndpointTarget addressedAs(String uid) {
            return new EndpointTarget(endpointUid, endpointName, branchName, disabled, nativeLogin, uid, pooled);
        }

        /** The same endpoint through its connection pooler (a {@code -pooler} host). */
        public EndpointTarget throughPooler() {
            return new EndpointTarget(endpointUid, endpointName, branchName, disabled, nativeLogin, addressedUid, true);
        }

        /** Credentials for the endpoint served, or for the one whose host name was used, are accepted. */
        public boolean accepts(String tokenEndpointUid) {
            return tokenEndpointUid.equals(endpointUid) || tokenEndpointUid.equals(addressedUid);
        }
    }

    /** A role's login method (a RoleAuthMethod wire value) and, for password roles, its SCRAM verifier. */
    record RoleLogin(String authMethod, String scramVerifier) {
        public static final String OAUTH = "LAKEBASE_OAUTH_V1";
        public static final String PASSWORD = "PG_PASSWORD_SCRAM_SHA_256";
    }
}
