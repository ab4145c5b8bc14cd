package dev.oxbow.metadata;

import java.time.Instant;
import java.util.List;

/**
 * A Postgres role on a branch. {@code identityType} is null for a plain Postgres role;
 * {@code scramVerifier} holds a SCRAM-SHA-256 verifier for native password roles (never a plaintext password).
 */
public record Role(
        String projectId,
        String branchId,
        String roleId,
        Instant createTime,
        Instant updateTime,
        String postgresRole,
        String identityType,
        String authMethod,
        List<String> membershipRoles,
        boolean bypassrls,
        boolean createdb,
        boolean createrole,
        String scramVerifier) implements Resource {

    public Role {
        membershipRoles = membershipRoles == null ? List.of() : List.copyOf(membershipRoles);
    }

    public static String nameOf(String projectId, String branchId, String roleId) {
        return Branch.nameOf(projectId, branchId) + "/roles/" + roleId;
    }

    @Override
    public String name() {
        return nameOf(projectId, branchId, roleId);
    }

    @Override
    public String parentName() {
        return Branch.nameOf(projectId, branchId);
    }

    public Role onBranch(String newBranchId, Instant now) {
        return new Role(projectId, newBranchId, roleId, now, now, postgresRole, identityType, authMethod,
                membershipRoles, bypassrls, createdb, createrole, scramVerifier);
    }
}
