package dev.oxbow.metadata;

import java.time.Instant;

/** A non-human identity; its application id is its Postgres role name and its SCIM userName. */
public record ServicePrincipal(String id, String applicationId, String displayName, boolean active, Instant createTime) {}
