package dev.oxbow.auth;

import java.time.Instant;

/** A signed database login token, used as the Postgres password until {@code expireTime}. */
public record IssuedToken(String token, Instant expireTime) {
    /** Tokens are credentials: keep them out of logs. */
    @Override
    public String toString() {
        return "IssuedToken[token=<redacted>, expireTime=" + expireTime + "]";
    }
}
