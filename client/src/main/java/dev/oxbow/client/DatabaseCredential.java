package dev.oxbow.client;

import java.time.Instant;
import java.util.List;

/** A short-lived database credential (api.md §4.6): the token is the Postgres password. */
public record DatabaseCredential(String token, Instant expireTime) {

    /** The request body: {@code ttl} ("3600s") or {@code expireTime}, not both. */
    public record Request(String endpoint, List<Claims> claims, Instant expireTime, String ttl) {
        public static Request forEndpoint(String endpoint) {
            return new Request(endpoint, null, null, null);
        }
    }

    public record Claims(String permissionSet, List<TableResource> resources) {}

    public record TableResource(String tableName) {}
}
