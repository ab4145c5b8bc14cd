package dev.oxbow.controlplane.sql;

import dev.oxbow.controlplane.operation.OperationRequest;
import dev.oxbow.metadata.OperationKind;
import dev.oxbow.controlplane.operation.OperationExecutor;
import dev.oxbow.controlplane.resource.ApiException;
import dev.oxbow.controlplane.resource.Defaults;
import dev.oxbow.controlplane.resource.Limits;
import dev.oxbow.controlplane.resource.ListResult;
import dev.oxbow.controlplane.resource.Names;
import dev.oxbow.controlplane.resource.Paging;
import dev.oxbow.controlplane.resource.Resources;
import dev.oxbow.controlplane.resource.Specs;
import dev.oxbow.controlplane.resource.UpdateMask;
import dev.oxbow.controlplane.resource.Validate;
import dev.oxbow.metadata.Branch;
import dev.oxbow.metadata.Database;
import dev.oxbow.metadata.MetadataStore;
import dev.oxbow.metadata.Operation;
import dev.oxbow.metadata.Role;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** Postgres roles on a branch: validation and acceptance; {@link SqlOperations} applies them. */
public final class RoleService {
    private static final String METADATA = "RoleOperationMetadata";
    private static final Set<String> IDENTITY_TYPES = Set.of("USER", "SERVICE_PRINCIPAL", "GROUP");
    private static final Set<String> AUTH_METHODS = Set.of("LAKEBASE_OAUTH_V1", "PG_PASSWORD_SCRAM_SHA_256", "NO_LOGIN");
    private static final Set<String> MEMBERSHIPS = Set.of("DATABRICKS_SUPERUSER");
    private static final Set<String> RESERVED = Set.of(Defaults.SUPERUSER_ROLE, Defaults.SYSTEM_ROLE, dev.oxbow.sync.SyncRole.NAME, "public", "none",
            "current_user", "session_user", "current_role", "postgres", dev.oxbow.compute.RunningPooler.ROLE);
    private static final Set<String> UPDATABLE = Set.of("spec.membership_roles", "spec.attributes", "spec.attributes.bypassrls",
            "spec.attributes.createdb", "spec.attributes.createrole", "spec.auth_method", "spec.identity_type");

    private final MetadataStore store;
    private final OperationExecutor ops;
    private final Resources resources;
    private final Limits limits;
    private final Clock clock;

    public RoleService(MetadataStore store, OperationExecutor ops, Resources resources, Limits limits, Clock clock) {
        this.store = store;
        this.ops = ops;
        this.resources = resources;
        this.limits = limits;
        this.clock = clock;
    }

    public Operation create(String parent, String roleId, Specs.RoleSpec spec, boolean replaceExisting) {
        Branch branch = resources.liveBranch(parent);
        Specs.RoleSpec s = spec == null ? Specs.RoleSpec.EMPTY : spec;
        Role valid = newRole(branch, s, clock.instant());
        String pgRole = valid.postgresRole();
        String identity = valid.identityType();
        String auth = valid.authMethod();
        List<String> memberships = memberships(s.membershipRoles());
        String id = roleId == null || roleId.isEmpty() ? uniqueId(branch, Names.deriveId(pgRole)) : Validate.longId("role_id", roleId);
        String name = Role.nameOf(branch.projectId(), branch.branchId(), id);
        var existing = store.roles().get(name);
        if (existing.isPresent()) {
            if (!replaceExisting) {
                throw ApiException.alreadyExists("role with such id already exists: " + name);
            }
            if (!existing.get().postgresRole().equals(pgRole)) {
                throw ApiException.invalid("Role " + name + " is Postgres role '" + existing.get().postgresRole()
                        + "'; spec.postgres_role cannot change.");
            }
        }
        Instant now = clock.instant();
        Role role = new Role(branch.projectId(), branch.branchId(), id, existing.map(Role::createTime).orElse(now), now, pgRole,
                identity, auth, memberships, Boolean.TRUE.equals(s.bypassrls()), Boolean.TRUE.equals(s.createdb()),
                Boolean.TRUE.equals(s.createrole()), existing.map(Role::scramVerifier).orElse(null));
        Operation op = ops.create(name, branch.projectId(), existing.isPresent() ? OperationKind.UPDATE_ROLE : OperationKind.CREATE_ROLE, METADATA,
                new OperationRequest.PutRole(existing.orElse(null)));
        store.transaction(() -> {
            if (existing.isEmpty()) {
                for (Role r : store.roles().list(branch.name())) {
                    if (r.postgresRole().equals(pgRole)) {
                        throw ApiException.alreadyExists("Postgres role '" + pgRole + "' already exists on " + branch.name() + " as " + r.name() + ".");
                    }
                }
                if (store.roles().count(branch.name()) >= limits.rolesPerBranch()) {
                    throw ApiException.quota("Branch " + branch.name() + " has reached its limit of " + limits.rolesPerBranch() + " roles.");
                }
            }
            store.roles().put(role);
            store.operations().put(op);
        });
        ops.submit(op);
        return op;
    }

    /**
     * A new role record from a spec, validated as {@link #create} validates it, for a branch whose records are written
     * elsewhere (a project's initial_role_spec, stored with the project).
     */
    public Role newRole(Branch branch, Specs.RoleSpec spec, java.time.Instant now) {
        Specs.RoleSpec s = spec == null ? Specs.RoleSpec.EMPTY : spec;
        String pgRole = s.postgresRole();
        if (pgRole == null) {
            throw ApiException.required("spec.postgres_role");
        }
        checkPgName("spec.postgres_role", pgRole);
        if (RESERVED.contains(pgRole.toLowerCase(java.util.Locale.ROOT)) || pgRole.startsWith("pg_") || pgRole.startsWith(ScopedRoles.PREFIX)) {
            throw ApiException.invalid("Role name '" + pgRole + "' is reserved; choose another spec.postgres_role.");
        }
        String identity = oneOf("spec.identity_type", s.identityType(), IDENTITY_TYPES);
        String auth = oneOf("spec.auth_method", s.authMethod(), AUTH_METHODS);
        if (auth == null) {
            auth = identity == null ? "PG_PASSWORD_SCRAM_SHA_256" : "GROUP".equals(identity) ? "NO_LOGIN" : "LAKEBASE_OAUTH_V1";
        }
        if ("LAKEBASE_OAUTH_V1".equals(auth) && identity == null) {
            throw ApiException.invalid("auth_method LAKEBASE_OAUTH_V1 needs spec.identity_type (USER, SERVICE_PRINCIPAL or GROUP) "
                    + "naming whose tokens log in as this role.");
        }
        checkIdentityExists(identity, pgRole);
        String id = uniqueId(branch, Names.deriveId(pgRole));
        return new Role(branch.projectId(), branch.branchId(), id, now, now, pgRole, identity, auth, memberships(s.membershipRoles()),
                Boolean.TRUE.equals(s.bypassrls()), Boolean.TRUE.equals(s.createdb()), Boolean.TRUE.equals(s.createrole()), null);
    }

    public Role get(String name) {
        return resources.role(name);
    }

    public ListResult<Role> list(String parent, Integer pageSize, String pageToken) {
        Branch branch = resources.liveBranch(parent);
        return Paging.list(store.roles(), branch.name(), pageSize, pageToken);
    }

    public Operation update(String name, Specs.RoleSpec spec, Set<String> mask) {
        Role current = resources.role(name);
        Specs.RoleSpec s = spec == null ? Specs.RoleSpec.EMPTY : spec;
        Set<String> paths = UpdateMask.check(mask, UPDATABLE, () -> setFields(s));
        List<String> memberships = current.membershipRoles();
        boolean bypassrls = current.bypassrls();
        boolean createdb = current.createdb();
        boolean createrole = current.createrole();
        String auth = current.authMethod();
        String identity = current.identityType();
        for (String path : paths) {
            switch (path) {
                case "spec.membership_roles" -> memberships = memberships(s.membershipRoles());
                case "spec.attributes" -> {
                    bypassrls = Boolean.TRUE.equals(s.bypassrls());
                    createdb = Boolean.TRUE.equals(s.createdb());
                    createrole = Boolean.TRUE.equals(s.createrole());
                }
                case "spec.attributes.bypassrls" -> bypassrls = Boolean.TRUE.equals(s.bypassrls());
                case "spec.attributes.createdb" -> createdb = Boolean.TRUE.equals(s.createdb());
                case "spec.attributes.createrole" -> createrole = Boolean.TRUE.equals(s.createrole());
                case "spec.auth_method" -> auth = oneOf(path, s.authMethod(), AUTH_METHODS);
                case "spec.identity_type" -> identity = oneOf(path, s.identityType(), IDENTITY_TYPES);
                default -> throw new IllegalStateException(path);
            }
        }
        if (auth == null) {
            throw ApiException.invalid("update_mask names spec.auth_method but the body does not set it.");
        }
        if ("LAKEBASE_OAUTH_V1".equals(auth) && identity == null) {
            throw ApiException.invalid("auth_method LAKEBASE_OAUTH_V1 needs spec.identity_type.");
        }
        Role updated = new Role(current.projectId(), current.branchId(), current.roleId(), current.createTime(), clock.instant(),
                current.postgresRole(), identity, auth, memberships, bypassrls, createdb, createrole, current.scramVerifier());
        Operation op = ops.create(name, current.projectId(), OperationKind.UPDATE_ROLE, METADATA, new OperationRequest.PutRole(current));
        store.transaction(() -> {
            store.roles().put(updated);
            store.operations().put(op);
        });
        ops.submit(op);
        return op;
    }

    public Operation delete(String name, String reassignOwnedTo) {
        Role role = resources.role(name);
        Branch branch = resources.liveBranch(role.parentName());
        String target = null;
        if (reassignOwnedTo != null && !reassignOwnedTo.isEmpty()) {
            target = store.roles().list(branch.name()).stream()
                    .filter(r -> r.postgresRole().equals(reassignOwnedTo) || r.roleId().equals(reassignOwnedTo) || r.name().equals(reassignOwnedTo))
                    .map(Role::postgresRole).findFirst()
                    .orElseGet(() -> reassignOwnedTo.equals(Defaults.SUPERUSER_ROLE) ? Defaults.SUPERUSER_ROLE : null);
            if (target == null) {
                throw ApiException.notFound("role", reassignOwnedTo + " (reassign_owned_to) on " + branch.name());
            }
            if (target.equals(role.postgresRole())) {
                throw ApiException.invalid("reassign_owned_to must name another role than the one being deleted.");
            }
        }
        List<String> owned = new ArrayList<>();
        for (Database db : store.databases().list(branch.name())) {
            if (db.ownerRoleId().equals(role.roleId())) {
                owned.add(db.postgresDatabase());
            }
        }
        if (!owned.isEmpty() && target == null) {
            throw ApiException.badRequest("Role " + name + " owns database(s) " + owned
                    + "; pass reassign_owned_to=<role> or delete the databases first.");
        }
        Operation op = ops.create(name, role.projectId(), OperationKind.DELETE_ROLE, METADATA,
                new OperationRequest.DeleteRole(role.postgresRole(), role, target));
        store.operations().put(op);
        ops.submit(op);
        return op;
    }

    /**
     * Gives a password role a new random password and returns it once; only its SCRAM verifier is kept.
     * Oxbow's extension ({@code POST <role name>/reset_password}); the proxy checks logins against the verifier.
     */
    public String resetPassword(String name) {
        Role role = resources.role(name);
        if (!"PG_PASSWORD_SCRAM_SHA_256".equals(role.authMethod())) {
            throw ApiException.invalid("Role " + name + " logs in with " + role.authMethod()
                    + "; only PG_PASSWORD_SCRAM_SHA_256 roles have passwords.");
        }
        String password = dev.oxbow.auth.Passwords.generate();
        String verifier = dev.oxbow.auth.ScramVerifier.create(password.toCharArray());
        store.roles().put(new Role(role.projectId(), role.branchId(), role.roleId(), role.createTime(), clock.instant(),
                role.postgresRole(), role.identityType(), role.authMethod(), role.membershipRoles(), role.bypassrls(),
                role.createdb(), role.createrole(), verifier));
        return password;
    }

    /** A role for an identity names a real one: a user's e-mail, a service principal's application id, a group's name. */
    private void checkIdentityExists(String identityType, String pgRole) {
        if (identityType == null) {
            return;
        }
        boolean exists = switch (identityType) {
            case "USER" -> store.identities().userByName(pgRole).isPresent();
            case "SERVICE_PRINCIPAL" -> store.identities().servicePrincipalByApplicationId(pgRole).isPresent();
            default -> store.identities().groupByName(pgRole).isPresent();
        };
        if (!exists) {
            throw ApiException.invalid("No " + identityType + " named '" + pgRole + "' exists; create the identity first (SCIM "
                    + switch (identityType) {
                        case "USER" -> "Users, userName";
                        case "SERVICE_PRINCIPAL" -> "ServicePrincipals, applicationId";
                        default -> "Groups, displayName";
                    } + ") or omit identity_type for a plain Postgres role.");
        }
    }

    private String uniqueId(Branch branch, String base) {
        String id = base;
        for (int i = 2; store.roles().get(Role.nameOf(branch.projectId(), branch.branchId(), id)).isPresent(); i++) {
            String suffix = "-" + i;
            id = (base.length() + suffix.length() > 63 ? base.substring(0, 63 - suffix.length()) : base) + suffix;
        }
        return id;
    }

    private static List<String> memberships(List<String> in) {
        if (in == null) {
            return List.of();
        }
        for (String m : in) {
            if (!MEMBERSHIPS.contains(m)) {
                throw ApiException.invalid("spec.membership_roles may only contain DATABRICKS_SUPERUSER, got '" + m + "'.");
            }
        }
        return List.copyOf(new java.util.LinkedHashSet<>(in));
    }

    static String oneOf(String field, String value, Set<String> allowed) {
        if (value == null) {
            return null;
        }
        if (!allowed.contains(value)) {
            throw ApiException.invalid("Field " + field + " must be one of " + allowed.stream().sorted().toList() + ", got '" + value + "'.");
        }
        return value;
    }

    static void checkPgName(String field, String value) {
        if (value.isEmpty() || value.getBytes(StandardCharsets.UTF_8).length > 63) {
            throw ApiException.invalid("Field " + field + " must be 1 to 63 bytes long, got '" + value + "'.");
        }
        if (value.chars().anyMatch(c -> c < 32 || c == 127)) {
            throw ApiException.invalid("Field " + field + " must not contain control characters.");
        }
    }

    /** The paths {@code update_mask=*} updates: those the body sets. */
    private static Set<String> setFields(Specs.RoleSpec s) {
        Set<String> out = new java.util.LinkedHashSet<>();
        if (s.membershipRoles() != null) out.add("spec.membership_roles");
        if (s.bypassrls() != null) out.add("spec.attributes.bypassrls");
        if (s.createdb() != null) out.add("spec.attributes.createdb");
        if (s.createrole() != null) out.add("spec.attributes.createrole");
        if (s.authMethod() != null) out.add("spec.auth_method");
        if (s.identityType() != null) out.add("spec.identity_type");
        return out;
    }

}
