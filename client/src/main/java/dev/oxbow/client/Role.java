package dev.oxbow.client;

import java.time.Instant;
import java.util.List;

/** A Postgres role on a branch (api.md §4.4). */
public record Role(String name, String roleId, String parent, Instant createTime, Instant updateTime, Spec spec, Status status) {

    public static Role of(Spec spec) {
        return new Role(null, null, null, null, null, spec, null);
    }

    public record Spec(String postgresRole, String identityType, String authMethod, List<String> membershipRoles, Attributes attributes) {}

    public record Status(String roleId, String postgresRole, String identityType, String authMethod, List<String> membershipRoles,
                         Attributes attributes) {}

    public record Attributes(Boolean bypassrls, Boolean createdb, Boolean createrole) {}
}
