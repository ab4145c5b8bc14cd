package dev.oxbow.controlplane.project;

import dev.oxbow.controlplane.operation.OperationRequest;
import dev.oxbow.metadata.OperationKind;
import dev.oxbow.controlplane.endpoint.EndpointRules;
import dev.oxbow.controlplane.identity.Principal;
import dev.oxbow.controlplane.operation.OperationExecutor;
import dev.oxbow.controlplane.resource.ApiException;
import dev.oxbow.controlplane.resource.Defaults;
import dev.oxbow.controlplane.resource.Limits;
import dev.oxbow.controlplane.resource.ListResult;
import dev.oxbow.controlplane.resource.Names;
import dev.oxbow.controlplane.resource.Paging;
import dev.oxbow.controlplane.resource.Resources;
import dev.oxbow.controlplane.resource.Specs;
import dev.oxbow.controlplane.resource.Uids;
import dev.oxbow.controlplane.resource.UpdateMask;
import dev.oxbow.controlplane.resource.Validate;
import dev.oxbow.metadata.Branch;
import dev.oxbow.metadata.Database;
import dev.oxbow.metadata.Endpoint;
import dev.oxbow.metadata.EndpointDefaults;
import dev.oxbow.metadata.MetadataStore;
import dev.oxbow.metadata.Operation;
import dev.oxbow.metadata.Page;
import dev.oxbow.metadata.Project;
import dev.oxbow.controlplane.sql.DatabaseService;
import dev.oxbow.controlplane.sql.RoleService;
import dev.oxbow.metadata.Role;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Projects: validation and acceptance of every call, and the operations that make them real. */
public final class ProjectService {
    private static final String METADATA = "ProjectOperationMetadata";
    private static final Set<String> UPDATABLE = Set.of("spec.display_name", "spec.history_retention_duration",
            "spec.default_endpoint_settings", "spec.project_default_settings.suspension", "spec.custom_tags",
            "spec.budget_policy_id", "spec.enable_pg_native_login", "spec.default_branch", "spec.pg_version", "spec.synchronous_wal");

    private final MetadataStore store;
    private final OperationExecutor ops;
    private final Resources resources;
    private final EndpointRules endpointRules;
    private final Limits limits;
    private final Uids uids;
    private final Clock clock;
    private final Duration softDeleteRetention;
    /** Validates a project's initial_role_spec as a role create would. */
    private final RoleService initialRecords;

    public ProjectService(MetadataStore store, OperationExecutor ops, Resources resources, EndpointRules endpointRules,
                          Limits limits, Uids uids, Clock clock, Duration softDeleteRetention) {
        this.store = store;
        this.ops = ops;
        this.resources = resources;
        this.endpointRules = endpointRules;
        this.limits = limits;
        this.uids = uids;
        this.clock = clock;
        this.softDeleteRetention = softDeleteRetention;
        this.initialRecords = new RoleService(store, ops, resources, limits, clock);
    }

    public Operation create(String projectId, Specs.ProjectSpec spec, Specs.ProjectInitial initial, Principal caller) {
        Validate.id("project_id", projectId);
        Specs.ProjectSpec s = spec == null ? Specs.ProjectSpec.EMPTY : spec;
        Specs.ProjectInitial init = initial == null ? Specs.ProjectInitial.EMPTY : initial;
        String displayName = s.displayName() == null ? projectId : displayName(s.displayName());
        int pgVersion = s.pgVersion() == null ? Defaults.PG_VERSION : pgVersion(s.pgVersion());
        long retention = s.historyRetentionSeconds() == null ? Defaults.HISTORY_RETENTION_SECONDS : retention(s.historyRetentionSeconds());
        EndpointDefaults defaults = endpointDefaults(s.defaultEndpointSettings(), null);
        if (s.defaultBranch() != null && !List.of(Defaults.DEFAULT_BRANCH, Branch.nameOf(projectId, Defaults.DEFAULT_BRANCH)).contains(s.defaultBranch())) {
            throw ApiException.invalid("Field spec.default_branch must be '" + Defaults.DEFAULT_BRANCH
                    + "' when a project is created: it is the only branch; change it later with update_mask=spec.default_branch.");
        }
        Instant now = clock.instant();
        Project project = new Project(projectId, uids.project(), now, now, null, null, displayName, pgVersion, retention,
                defaults, Defaults.DEFAULT_BRANCH, s.budgetPolicyId(), s.customTags(),
                Boolean.TRUE.equals(s.enablePgNativeLogin()), caller.name(), Boolean.TRUE.equals(s.synchronousWal()));
        Branch production = Branch.newBranch(projectId, Defaults.DEFAULT_BRANCH, uids.branch(), now)
                .isDefault(true).isProtected(Boolean.TRUE.equals(init.branchIsProtected())).build();
        // Lakebase keeps production awake unless the caller asks for a timeout.
        Specs.EndpointSettings ie = init.endpoint() == null ? Specs.EndpointSettings.EMPTY : init.endpoint();
        boolean explicitSuspend = ie.suspendTimeoutSeconds() != null || ie.noSuspension() != null;
        Specs.EndpointSpec primarySpec = new Specs.EndpointSpec(Endpoint.READ_WRITE, ie.minCu(), ie.maxCu(),
                ie.suspendTimeoutSeconds(), explicitSuspend ? ie.noSuspension() : Boolean.TRUE, null, init.group(), null);
        Endpoint primary = endpointRules.newEndpoint(project, production, Defaults.PRIMARY_ENDPOINT, primarySpec, now);
        Role owner = new Role(projectId, Defaults.DEFAULT_BRANCH, Names.deriveId(caller.name()), now, now,
                caller.name(), "USER", "LAKEBASE_OAUTH_V1", List.of("DATABRICKS_SUPERUSER"), false, false, false, null);
        Database db = new Database(projectId, Defaults.DEFAULT_BRANCH, Defaults.DEFAULT_DATABASE_ID, now, now,
                Defaults.DEFAULT_DATABASE, owner.roleId());
        List<Role> initialRoles = new java.util.ArrayList<>();
        List<Database> initialDatabases = new java.util.ArrayList<>();
        if (init.role() != null) {
            Role role = initialRecords.newRole(production, init.role(), now);
            if (role.postgresRole().equals(owner.postgresRole())) {
                throw ApiException.invalid("Field initial_role_spec.postgres_role is the project owner's role ('" + owner.postgresRole()
                        + "'), which every project gets; choose another role.");
            }
            if (role.roleId().equals(owner.roleId())) {
                role = new Role(role.projectId(), role.branchId(), role.roleId() + "-2", now, now, role.postgresRole(), role.identityType(),
                        role.authMethod(), role.membershipRoles(), role.bypassrls(), role.createdb(), role.createrole(), null);
            }
            initialRoles.add(role);
        }
        if (init.database() != null) {
            Database extra = DatabaseService.initial(production, init.database(), initialRoles, owner.roleId(), now);
            if (!extra.postgresDatabase().equals(Defaults.DEFAULT_DATABASE)) {
                initialDatabases.add(extra.databaseId().equals(db.databaseId()) ? new Database(projectId, Defaults.DEFAULT_BRANCH,
                        extra.databaseId() + "-2", now, now, extra.postgresDatabase(), extra.ownerRoleId()) : extra);
            }
        }
        Operation op = ops.create(project.name(), projectId, OperationKind.CREATE_PROJECT, METADATA, OperationRequest.NONE);
        store.transaction(() -> {
            if (store.projects().get(project.name()).isPresent()) {
                throw ApiException.alreadyExists("project with such id already exists in the workspace: " + project.name());
            }
            if (store.projects().count("") >= limits.projects()) {
                throw ApiException.quota("Project limit of " + limits.projects() + " reached; delete unused projects first.");
            }
            // the id may be a purged project's: its operations are not the new owner's to read
            store.operations().deleteProject(projectId);
            store.projects().insert(project);
            store.branches().insert(production);
            store.endpoints().insert(primary);
            store.roles().insert(owner);
            store.databases().insert(db);
            initialRoles.forEach(store.roles()::insert);
            initialDatabases.forEach(store.databases()::insert);
            store.operations().put(op);
        });
        ops.submit(op);
        return op;
    }

    /** The project's record, deleted or not (for access checks on what is under it); empty if there is none. */
    public java.util.Optional<Project> find(String name) {
        return store.projects().get(name);
    }

    /** The project's latest operations, newest first. */
    public List<Operation> recentOperations(String projectId, int limit) {
        return store.operations().recent(projectId, limit);
    }

    public Project get(String name) {
        return resources.liveProject(name);
    }

    /** What GET answers: the project, also while soft-deleted (with its delete and purge times) until it is purged. */
    public Project read(String name) {
        return resources.project(name);
    }

    public ListResult<Project> list(Integer pageSize, String pageToken, boolean showDeleted) {
        Paging paging = Paging.of(pageSize, pageToken);
        Page<Project> page = store.projects().page("", paging.fromSeq(), paging.pageSize());
        List<Project> items = page.items().stream().filter(p -> showDeleted || !p.deleted()).toList();
        return new ListResult<>(items, Paging.token(page.nextSeq()));
    }

    public Operation update(String name, Specs.ProjectSpec spec, Set<String> mask) {
        Project current = resources.liveProject(name);
        Specs.ProjectSpec s = spec == null ? Specs.ProjectSpec.EMPTY : spec;
        Set<String> paths = UpdateMask.check(mask, UPDATABLE, () -> setFields(s));
        String displayName = current.displayName();
        long retention = current.historyRetentionSeconds();
        EndpointDefaults defaults = current.defaults();
        List<Project.Tag> tags = current.customTags();
        String budget = current.budgetPolicyId();
        boolean nativeLogin = current.enablePgNativeLogin();
        boolean synchronousWal = current.synchronousWal();
        String defaultBranch = current.defaultBranchId();
        for (String path : paths) {
            switch (path) {
                case "spec.display_name" -> displayName = displayName(required(s.displayName(), "spec.display_name"));
                case "spec.history_retention_duration" -> retention = retention(required(s.historyRetentionSeconds(), "spec.history_retention_duration"));
                case "spec.default_endpoint_settings" -> defaults = endpointDefaults(s.defaultEndpointSettings(), null);
                case "spec.project_default_settings.suspension" -> defaults = endpointDefaults(s.defaultEndpointSettings(), defaults);
                case "spec.custom_tags" -> tags = s.customTags() == null ? List.of() : s.customTags();
                case "spec.budget_policy_id" -> budget = s.budgetPolicyId();
                case "spec.enable_pg_native_login" -> nativeLogin = Boolean.TRUE.equals(s.enablePgNativeLogin());
                case "spec.synchronous_wal" -> synchronousWal = Boolean.TRUE.equals(s.synchronousWal());
                case "spec.default_branch" -> defaultBranch = resources.liveBranch(resources.branchName(current.projectId(),
                        required(s.defaultBranch(), "spec.default_branch"))).branchId();
                case "spec.pg_version" -> {
                    if (s.pgVersion() != null && pgVersion(s.pgVersion()) != current.pgVersion()) {
                        throw ApiException.invalid("spec.pg_version cannot change after a project is created (it is "
                                + current.pgVersion() + "); create a new project to use another version.");
                    }
                }
                default -> throw new IllegalStateException(path);
            }
        }
        Instant now = clock.instant();
        Project updated = new Project(current.projectId(), current.uid(), current.createTime(), now, null, null, displayName,
                current.pgVersion(), retention, defaults, defaultBranch, budget, tags, nativeLogin, current.owner(), synchronousWal);
        String newDefault = defaultBranch;
        Operation op = ops.create(current.name(), current.projectId(), OperationKind.UPDATE_PROJECT, METADATA, OperationRequest.NONE);
        store.transaction(() -> {
            store.projects().put(updated);
            if (!newDefault.equals(current.defaultBranchId())) {
                for (Branch b : store.branches().list(current.name())) {
                    if (b.isDefault() != b.branchId().equals(newDefault)) {
                        store.branches().put(resources.withDefault(b, b.branchId().equals(newDefault), now));
                    }
                }
            }
            store.operations().put(op);
        });
        ops.submit(op);
        return op;
    }

    public Operation delete(String name, boolean purge) {
        Project project = resources.project(name);
        if (project.deleted() && !purge) {
            throw ApiException.notFound("project", name);
        }
        for (Branch b : store.branches().list(project.name())) {
            if (b.isProtected() && !b.deleted()) {
                throw ApiException.badRequest("Cannot delete project " + name + ": branch '" + b.branchId()
                        + "' is protected. Unprotect it first (update_mask=spec.is_protected).");
            }
        }
        Instant now = clock.instant();
        Operation op = ops.create(project.name(), project.projectId(), OperationKind.DELETE_PROJECT, METADATA, new OperationRequest.Delete(purge));
        store.transaction(() -> {
            if (!project.deleted()) {
                store.projects().put(new Project(project.projectId(), project.uid(), project.createTime(), now, now,
                        now.plus(softDeleteRetention), project.displayName(), project.pgVersion(), project.historyRetentionSeconds(),
                        project.defaults(), project.defaultBranchId(), project.budgetPolicyId(), project.customTags(),
                        project.enablePgNativeLogin(), project.owner(), project.synchronousWal()));
            }
            store.operations().put(op);
        });
        ops.submit(op);
        return op;
    }

    public Operation undelete(String name) {
        Project project = resources.project(name);
        if (!project.deleted()) {
            throw ApiException.invalidState("Project " + name + " is not deleted; there is nothing to undelete.");
        }
        Instant now = clock.instant();
        Operation op = ops.create(project.name(), project.projectId(), OperationKind.UNDELETE_PROJECT, METADATA, OperationRequest.NONE);
        store.transaction(() -> {
            store.projects().put(new Project(project.projectId(), project.uid(), project.createTime(), now, null, null,
                    project.displayName(), project.pgVersion(), project.historyRetentionSeconds(), project.defaults(),
                    project.defaultBranchId(), project.budgetPolicyId(), project.customTags(), project.enablePgNativeLogin(),
                    project.owner(), project.synchronousWal()));
            store.operations().put(op);
        });
        ops.submit(op);
        return op;
    }

    /** The paths {@code update_mask=*} updates: those the body sets (empty tags excluded). */
    private static Set<String> setFields(Specs.ProjectSpec s) {
        Set<String> out = new java.util.LinkedHashSet<>();
        if (s.displayName() != null) out.add("spec.display_name");
        if (s.historyRetentionSeconds() != null) out.add("spec.history_retention_duration");
        if (s.defaultEndpointSettings() != null) out.add("spec.default_endpoint_settings");
        if (s.customTags() != null && !s.customTags().isEmpty()) out.add("spec.custom_tags");
        if (s.budgetPolicyId() != null) out.add("spec.budget_policy_id");
        if (s.enablePgNativeLogin() != null) out.add("spec.enable_pg_native_login");
        if (s.defaultBranch() != null) out.add("spec.default_branch");
        if (s.pgVersion() != null) out.add("spec.pg_version");
        if (s.synchronousWal() != null) out.add("spec.synchronous_wal");
        return out;
    }

    private static <T> T required(T value, String field) {
        if (value == null) {
            throw ApiException.invalid("update_mask names " + field + " but the body does not set it.");
        }
        return value;
    }

    private static String displayName(String value) {
        if (value.isEmpty() || value.length() > 256) {
            throw ApiException.invalid("Field spec.display_name must be 1 to 256 characters long.");
        }
        return value;
    }

    private static int pgVersion(int v) {
        if (v != 16 && v != 17) {
            throw ApiException.invalid("Field spec.pg_version must be 16 or 17, got " + v + ".");
        }
        return v;
    }

    private long retention(long seconds) {
        if (seconds < limits.minRetentionSeconds() || seconds > limits.maxRetentionSeconds()) {
            throw ApiException.invalid("Field spec.history_retention_duration must be between " + limits.minRetentionSeconds()
                    + "s (2 days) and " + limits.maxRetentionSeconds() + "s (35 days), got " + seconds + "s.");
        }
        return seconds;
    }

    /** Project defaults for new computes; {@code base} keeps CU values when only the suspension pair changes. */
    private EndpointDefaults endpointDefaults(Specs.EndpointSettings in, EndpointDefaults base) {
        Specs.EndpointSettings s = in == null ? Specs.EndpointSettings.EMPTY : in;
        String prefix = "spec.default_endpoint_settings.";
        double min = base != null ? base.minCu() : s.minCu() == null ? Defaults.MIN_CU : s.minCu();
        double max = base != null ? base.maxCu() : s.maxCu() == null ? Math.max(Defaults.MAX_CU, min) : s.maxCu();
        if (base == null && s.minCu() == null && s.maxCu() != null) {
            min = Math.min(Defaults.MIN_CU, max);
        }
        Validate.cuRange(prefix, min, max, limits);
        EndpointRules.Suspension suspension = endpointRules.suspension(prefix, s.suspendTimeoutSeconds(), s.noSuspension(),
                Defaults.SUSPEND_TIMEOUT_SECONDS);
        Map<String, String> settings = base != null ? base.pgSettings() : endpointRules.pgSettings(s.pgSettings(), prefix + "pg_settings", max);
        return new EndpointDefaults(min, max, suspension.timeoutSeconds(), suspension.never(), settings);
    }
}
