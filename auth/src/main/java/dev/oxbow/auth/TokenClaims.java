package dev.oxbow.auth;

import java.time.Instant;

/**
 * What a verified token asserts: {@code subject} (the user name, e.g. an e-mail) may log in to the endpoint with
 * this name and uid until {@code expireTime}; {@code issueTime} lets the caller refuse a token issued to a deleted namesake. The caller must still check the endpoint is the one being connected to.
 */
public record TokenClaims(String subject, String endpointName, String endpointUid, Instant expireTime, String tokenId,
                          Instant issueTime, TokenScope scope) {
    public TokenClaims {
        scope = scope == null ? TokenScope.FULL : scope;
    }

    public TokenClaims(String subject, String endpointName, String endpointUid, Instant expireTime, String tokenId, Instant issueTime) {
        this(subject, endpointName, endpointUid, expireTime, tokenId, issueTime, TokenScope.FULL);
    }
}
