package dev.oxbow.client;

import com.fasterxml.jackson.annotation.JsonProperty;

import java.time.Instant;

/** A branch (api.md §4.2): a copy-on-write fork of its source branch. */
public record Branch(String name, String branchId, String parent, String uid, Instant createTime, Instant updateTime,
                     Spec spec, Status status) {

    public static Branch of(Spec spec) {
        return new Branch(null, null, null, null, null, null, spec, null);
    }

    /**
     * {@code ttl}, {@code expireTime} and {@code noExpiry} exclude each other (mask path spec.expiration). {@code masked}
     * (Oxbow extension, create only): the new branch's data is masked with the project's masking rules before it serves.
     */
    public record Spec(String sourceBranch, String sourceBranchLsn, Instant sourceBranchTime, Boolean isProtected, String ttl,
                       Instant expireTime, Boolean noExpiry, Boolean masked) {
        public Spec(String sourceBranch, String sourceBranchLsn, Instant sourceBranchTime, Boolean isProtected, String ttl,
                    Instant expireTime, Boolean noExpiry) {
            this(sourceBranch, sourceBranchLsn, sourceBranchTime, isProtected, ttl, expireTime, noExpiry, null);
        }
    }

    public record Status(String branchId, String currentState, String pendingState, Instant stateChangeTime,
                         @JsonProperty("default") Boolean isDefault, Boolean isProtected, Long logicalSizeBytes,
                         String sourceBranch, String sourceBranchLsn, Instant sourceBranchTime, Instant expireTime,
                         Instant deleteTime, Instant purgeTime, Boolean masked, String maskedLsn, Instant maskedTime) {}
}
