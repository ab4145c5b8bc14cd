package dev.oxbow.metadata;

import java.time.Instant;

/** A personal access token, stored only as a SHA-256 hash. A null expireTime never expires. */
public record AccessToken(String id, String userId, String tokenHash, String comment, Instant createTime, Instant expireTime) {}
