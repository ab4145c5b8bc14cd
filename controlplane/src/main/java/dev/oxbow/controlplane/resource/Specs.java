package dev.oxbow.controlplane.resource;

import dev.oxbow.metadata.Project;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * What clients write in {@code spec}, decoded from JSON. A null field is unset: absent, JSON null,
 * or Go's always-sent zero value ("" or 0).
 */
public final class Specs {
    private Specs() {}

    public record EndpointSettings(Double minCu, Double maxCu, Long suspendTimeoutSeconds, Boolean noSuspension,
                                   Map<String, String> pgSettings) {
        public static final EndpointSettings EMPTY = new EndpointSettings(null, null, null, null, null);
    }

    public record ProjectSpec(String displayName, Integer pgVersion, Long historyRetentionSeconds,
                              EndpointSettings defaultEndpointSettings, String defaultBranch, String budgetPolicyId,
                              List<Project.Tag> customTags, Boolean enablePgNativeLogin, Boolean synchronousWal) {
        /** A spec that sets nothing. */
        public static final ProjectSpec EMPTY = new ProjectSpec(null, null, null, null, null, null, null, null);

        /** Without {@code synchronous_wal} (an Oxbow extension: commits wait until their WAL is in the object store). */
        public ProjectSpec(String displayName, Integer pgVersion, Long historyRetentionSeconds, EndpointSettings defaultEndpointSettings,
                           String defaultBranch, String budgetPolicyId, List<Project.Tag> customTags, Boolean enablePgNativeLogin) {
            this(displayName, pgVersion, historyRetentionSeconds, defaultEndpointSettings, defaultBranch, budgetPolicyId, customTags,
                    enablePgNativeLogin, null);
        }
    }

    /** Creation-only parts of a project request. */
    /** {@code role} and {@code database}: Project.initial_role_spec / initial_database_spec, made on the first branch. */
    public record ProjectInitial(Boolean branchIsProtected, EndpointSettings endpoint, Group group, RoleSpec role, DatabaseSpec database) {
        public static final ProjectInitial EMPTY = new ProjectInitial(null, null, null);

        public ProjectInitial(Boolean branchIsProtected, EndpointSettings endpoint, Group group) {
            this(branchIsProtected, endpoint, group, null, null);
        }
    }

    public record BranchSpec(String sourceBranch, String sourceBranchLsn, Instant sourceBranchTime, Boolean isProtected,
                             Long ttlSeconds, Instant expireTime, Boolean noExpiry) {
        public static final BranchSpec EMPTY = new BranchSpec(null, null, null, null, null, null, null);
    }

    public record Group(Integer min, Integer max, Boolean enableReadableSecondaries) {}

    public record EndpointSpec(String endpointType, Double minCu, Double maxCu, Long suspendTimeoutSeconds,
                               Boolean noSuspension, Boolean disabled, Group group, Map<String, String> pgSettings) {
        public static final EndpointSpec EMPTY = ofType(null);

        /** A spec that sets only the endpoint type: every rule takes its default. */
        public static EndpointSpec ofType(String endpointType) {
            return new EndpointSpec(endpointType, null, null, null, null, null, null, null);
        }
    }

    public record RoleSpec(String postgresRole, String identityType, String authMethod, List<String> membershipRoles,
                           Boolean bypassrls, Boolean createdb, Boolean createrole) {
        public static final RoleSpec EMPTY = new RoleSpec(null, null, null, null, null, null, null);
    }

    public record DatabaseSpec(String postgresDatabase, String role) {}
}
