package dev.oxbow.proxy;

import dev.oxbow.auth.ScramVerifier;
import dev.oxbow.auth.TokenClaims;
import dev.oxbow.auth.TokenException;
import dev.oxbow.auth.TokenService;

import java.util.Optional;

/**
 * The blocking half of a login: routing and role lookups in the metadata store, password hashing (PBKDF2) and token
 * verification (ES256). It runs on the proxy's login threads, off the event loops that relay other sessions, and
 * returns what the session is to do next; it touches no channel and keeps no state of its own.
 */
final class LoginChecks {
    private final ProxyBackend backend;
    private final TokenService tokens;
    private final String domain;

    LoginChecks(ProxyBackend backend, TokenService tokens, String domain) {
        this.backend = backend;
        this.tokens = tokens;
        this.domain = domain;
    }

    /**
     * The endpoint a client means, the uid exactly as the client named it (e.g. {@code <uid>-pooler}), and how the
     * startup's user logs in there, read once per login (as Postgres reads the role once at startup).
     */
    record Routed(ProxyBackend.EndpointTarget target, String routedUid, Optional<ProxyBackend.RoleLogin> role) {}

    /** What the session does next. */
    sealed interface Outcome {
        /** Refuse with this SQLSTATE; {@code routed} (null if routing failed) is named in the audit record. */
        record Refused(Routed routed, String sqlState, String message) implements Outcome {}

        /** Ask for the password in SCRAM: the role logs in with a native password. */
        record AskScram(Routed routed, ScramVerifier verifier) implements Outcome {}

        /** Ask for a cleartext password: a token (or a native password, when the role has one). */
        record AskPassword(Routed routed) implements Outcome {}

        /** Logged in; {@code readOnly} holds a READ_ONLY scoped credential's claims, else null. */
        record LoggedIn(Routed routed, TokenClaims readOnly, String method) implements Outcome {}
    }

    /** After a startup message that named its endpoint: route, then ask for the password the role logs in with. */
    Outcome afterStartup(String endpointUid, String user) {
        Routed routed;
        try {
            routed = route(endpointUid, user);
        } catch (RefusedException e) {
            return e.outcome;
        }
        return scramVerifier(routed, user).<Outcome>map(v -> new Outcome.AskScram(routed, v))
                .orElseGet(() -> new Outcome.AskPassword(routed));
    }

    /**
     * A cleartext password message: a native password or a database credential (token). {@code routed} is null when
     * nothing before it named the endpoint (then the password, or the token's own endpoint, does).
     */
    Outcome password(Routed routed, String user, String passwordText) {
        try {
            return checkPassword(routed, user, passwordText);
        } catch (RefusedException e) {
            return e.outcome;
        }
    }

    private Outcome checkPassword(Routed routed, String user, String passwordText) throws RefusedException {
        EndpointAddress.PasswordSplit split = EndpointAddress.splitPassword(passwordText);
        if (split.error() != null) {
            return new Outcome.Refused(routed, "08004", split.error());
        }
        if (split.endpointUid() != null) {
            if (routed != null && !split.endpointUid().equals(routed.routedUid())) {
                return new Outcome.Refused(routed, "08004", "the host name or options name endpoint " + routed.routedUid()
                        + " but the password names " + split.endpointUid());
            }
            if (routed == null) {
                routed = route(split.endpointUid(), user);
            }
        }
        String password = split.password();
        if (!TokenService.looksLikeToken(password)) {
            if (password.startsWith("dapi")) {
                return new Outcome.Refused(routed, "28P01", "personal access tokens cannot be used as database passwords: generate a "
                        + "database credential (POST /api/2.0/postgres/credentials) and use its token");
            }
            if (routed == null) {
                // a native password says nothing about its endpoint: only a token does
                return new Outcome.Refused(null, "08004", EndpointAddress.unnamedHint(domain));
            }
            Optional<ScramVerifier> verifier = scramVerifier(routed, user);
            if (verifier.isPresent() && verifier.get().matchesPassword(password.toCharArray())) {
                return new Outcome.LoggedIn(routed, null, "password");
            }
            return new Outcome.Refused(routed, "28P01", "password authentication failed for user \"" + user + "\"");
        }
        TokenClaims claims;
        try {
            claims = tokens.verify(password);
        } catch (TokenException e) {
            return new Outcome.Refused(routed, "28P01", switch (e.reason()) {
                case EXPIRED -> "the database credential has expired: generate a new one (POST /api/2.0/postgres/credentials)";
                default -> "password authentication failed for user \"" + user + "\": the credential is not valid";
            });
        }
        // nothing else named the endpoint: the one the credential was minted for
        if (routed == null) {
            routed = route(claims.endpointUid(), user);
        }
        ProxyBackend.EndpointTarget target = routed.target();
        if (!target.accepts(claims.endpointUid())) {
            // the token's own endpoint is the client's to know; the addressed one is named only by the uid it used
            return new Outcome.Refused(routed, "28000", "the credential was issued for endpoint " + claims.endpointName() + ", not "
                    + target.addressedUid() + ": generate one for this endpoint");
        }
        // a group credential logs in as the group's role, any other as its holder's
        String login = claims.scope().groupRole() != null ? claims.scope().groupRole() : claims.subject();
        if (!login.equals(user)) {
            return new Outcome.Refused(routed, "28000", "the credential was issued to \"" + login + "\" and cannot log in as \"" + user + "\"");
        }
        Optional<ProxyBackend.RoleLogin> role = routed.role();
        if (role.isEmpty()) {
            return new Outcome.Refused(routed, "28000", "role \"" + user + "\" does not exist on branch " + target.branchName()
                    + ": create it with the Role API (identity_type USER, auth_method LAKEBASE_OAUTH_V1)");
        }
        if (!ProxyBackend.RoleLogin.OAUTH.equals(role.get().authMethod())) {
            return new Outcome.Refused(routed, "28000", "role \"" + user + "\" does not log in with database credentials (its auth_method is "
                    + role.get().authMethod() + ")");
        }
        Optional<String> refusal = backend.loginRefusal(target, claims.subject(), claims.issueTime());
        if (refusal.isEmpty() && claims.scope().groupRole() != null) {
            refusal = backend.groupRefusal(claims.subject(), claims.scope().groupRole());
        }
        if (refusal.isPresent()) {
            return new Outcome.Refused(routed, "28000", refusal.get());
        }
        boolean readOnly = claims.scope().readOnly();
        return new Outcome.LoggedIn(routed, readOnly ? claims : null,
                readOnly ? "token read-only" : claims.scope().groupRole() != null ? "token group" : "token");
    }

    /** The endpoint the client means and {@code user}'s role there; refused when there is none or it is disabled. */
    private Routed route(String endpointUid, String user) throws RefusedException {
        Optional<ProxyBackend.EndpointTarget> resolved = backend.resolve(endpointUid);
        if (resolved.isEmpty()) {
            throw new RefusedException(new Outcome.Refused(null, "08004", "endpoint " + endpointUid
                    + " not found: check the host name (status.hosts.host of the endpoint)"));
        }
        ProxyBackend.EndpointTarget target = resolved.get();
        if (target.disabled()) {
            // not yet authenticated: name the endpoint only as the client did
            throw new RefusedException(new Outcome.Refused(new Routed(target, endpointUid, Optional.empty()), "08004", "endpoint "
                    + endpointUid + " is disabled; enable it (spec.disabled=false) to connect"));
        }
        return new Routed(target, endpointUid, backend.role(target, user));
    }

    /** The SCRAM verifier of a native-password role on the routed endpoint, if the user logs in that way. */
    private static Optional<ScramVerifier> scramVerifier(Routed routed, String user) {
        Optional<ProxyBackend.RoleLogin> role = routed.role();
        if (role.isEmpty() || !ProxyBackend.RoleLogin.PASSWORD.equals(role.get().authMethod()) || role.get().scramVerifier() == null
                || !routed.target().nativeLogin()) {
            return Optional.empty();
        }
        try {
            return Optional.of(ScramVerifier.parse(role.get().scramVerifier()));
        } catch (RuntimeException e) {
            // a verifier no password matches: the login fails like a wrong password
            return Optional.of(ScramVerifier.mock(user, new byte[32]));
        }
    }

    /** A refusal found while routing, carried out of the check that routed. */
    private static final class RefusedException extends Exception {
        final Outcome.Refused outcome;

        RefusedException(Outcome.Refused outcome) {
            super(outcome.message(), null, false, false);
            this.outcome = outcome;
        }
    }
}
