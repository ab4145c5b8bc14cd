package dev.oxbow.metadata;

import java.time.Instant;

/** A workspace identity. {@code userName} is an e-mail and becomes the user's Postgres role name. */
public record User(String id, String userName, String displayName, boolean admin, boolean active, Instant createTime) {}
