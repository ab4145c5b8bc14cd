package dev.oxbow.metadata;

import java.time.Instant;

/** Who did what to which resource, when, from where, and how it ended. */
public record AuditEvent(long seq, Instant time, String actor, String action, String resource, String outcome, String remote,
                         String detail) {}
