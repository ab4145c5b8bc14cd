package dev.oxbow.controlplane.sql;

import dev.oxbow.controlplane.operation.OperationRequest;
import dev.oxbow.metadata.OperationKind;
import dev.oxbow.controlplane.operation.OperationExecutor;
import dev.oxbow.controlplane.resource.ApiException;
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
import dev.oxbow.metadata.Project;
import dev.oxbow.metadata.Role;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Postgres databases on a branch: validation and acceptance; {@link SqlOperations} applies them. */
public final class DatabaseService {
    private static final String METADATA = "DatabaseOperationMetadata";
    private static final Set<String> RESERVED = Set.of("postgres", "template0", "template1");
    private static final Set<String> UPDATABLE = Set.of("spec.postgres_database", "spec.role");

    private final MetadataStore store;
    private final OperationExecutor ops;
    private final Resources resources;
    private final Limits limits;
    private final Clock clock;

    public DatabaseService(MetadataStore store, OperationExecutor ops, Resources resources, Limits limits, Clock clock) {
        this.store = store;
        this.ops = ops;
        this.resources = resources;
        this.limits = limits;
        this.clock = clock;
    }

    public Operation create(String parent, String databaseId, Specs.DatabaseSpec spec, boolean replaceExisting) {
        Branch branch = resources.liveBranch(parent);
        Specs.DatabaseSpec s = spec == null ? new Specs.DatabaseSpec(null, null) : spec;
        if (s.postgresDatabase() == null) {
            throw ApiException.required("spec.postgres_database");
        }
        String pgName = pgName(s.postgresDatabase());
        String owner = ownerRoleId(branch, s.role());
        String id = databaseId == null || databaseId.isEmpty() ? uniqueId(branch, Names.deriveId(pgName)) : Validate.id("database_id", databaseId);
        String name = Database.nameOf(branch.projectId(), branch.branchId(), id);
        var existing = store.databases().get(name);
        if (existing.isPresent() && !replaceExisting) {
            throw ApiException.alreadyExists("database with such id already exists: " + name);
        }
        Instant now = clock.instant();
        Database db = new Database(branch.projectId(), branch.branchId(), id, existing.map(Database::createTime).orElse(now), now, pgName, owner);
        Operation op = ops.create(name, branch.projectId(), existing.isPresent() ? OperationKind.UPDATE_DATABASE : OperationKind.CREATE_DATABASE, METADATA,
                new OperationRequest.PutDatabase(existing.orElse(null)));
        store.transaction(() -> {
            for (Database other : store.databases().list(branch.name())) {
                if (!other.databaseId().equals(id) && other.postgresDatabase().equals(pgName)) {
                    throw ApiException.alreadyExists("Postgres database '" + pgName + "' already exists on " + branch.name() + " as " + other.name() + ".");
                }
            }
            if (existing.isEmpty() && store.databases().count(branch.name()) >= limits.databasesPerBranch()) {
                throw ApiException.quota("Branch " + branch.name() + " has reached its limit of " + limits.databasesPerBranch() + " databases.");
            }
            store.databases().put(db);
            store.operations().put(op);
        });
        ops.submit(op);
        return op;
    }

    /**
     * A new database record for a project's initial_database_spec, stored with the project: its owner is
     * {@code spec.role} if that names one of {@code roles} (the branch's records to be), else {@code defaultOwner}.
     */
    public static Database initial(Branch branch, Specs.DatabaseSpec spec, List<Role> roles, String defaultOwnerRoleId, java.time.Instant now) {
        if (spec.postgresDatabase() == null) {
            throw ApiException.required("initial_database_spec.postgres_database");
        }
        String pgName = pgName(spec.postgresDatabase());
        String owner = defaultOwnerRoleId;
        if (spec.role() != null) {
            String raw = spec.role();
            owner = roles.stream().filter(r -> r.name().equals(raw) || r.roleId().equals(raw) || r.postgresRole().equals(raw))
                    .map(Role::roleId).findFirst()
                    .orElseThrow(() -> ApiException.invalid("Field initial_database_spec.role names no role of the new project's "
                            + branch.branchId() + " branch: '" + raw + "' (name the initial_role_spec's role or leave it unset)."));
        }
        return new Database(branch.projectId(), branch.branchId(), Names.deriveId(pgName), now, now, pgName, owner);
    }

    public Database get(String name) {
        return resources.database(name);
    }

    public ListResult<Database> list(String parent, Integer pageSize, String pageToken) {
        Branch branch = resources.liveBranch(parent);
        return Paging.list(store.databases(), branch.name(), pageSize, pageToken);
    }

    public Operation update(String name, Specs.DatabaseSpec spec, Set<String> mask) {
        Database current = resources.database(name);
        Branch branch = resources.liveBranch(current.parentName());
        Set<String> paths = UpdateMask.check(mask, UPDATABLE);
        Specs.DatabaseSpec s = spec == null ? new Specs.DatabaseSpec(null, null) : spec;
        String pgName = current.postgresDatabase();
        String owner = current.ownerRoleId();
        if (paths.contains("spec.postgres_database")) {
            if (s.postgresDatabase() == null) {
                throw ApiException.invalid("update_mask names spec.postgres_database but the body does not set it.");
            }
            pgName = pgName(s.postgresDatabase());
        }
        if (paths.contains("spec.role")) {
            if (s.role() == null) {
                throw ApiException.invalid("update_mask names spec.role but the body does not set it.");
            }
            owner = ownerRoleId(branch, s.role());
        }
        Database updated = new Database(current.projectId(), current.branchId(), current.databaseId(), current.createTime(),
                clock.instant(), pgName, owner);
        Operation op = ops.create(name, current.projectId(), OperationKind.UPDATE_DATABASE, METADATA, new OperationRequest.PutDatabase(current));
        String newName = pgName;
        store.transaction(() -> {
            for (Database other : store.databases().list(branch.name())) {
                if (!other.databaseId().equals(current.databaseId()) && other.postgresDatabase().equals(newName)) {
                    throw ApiException.alreadyExists("Postgres database '" + newName + "' already exists on " + branch.name() + ".");
                }
            }
            store.databases().put(updated);
            store.operations().put(op);
        });
        ops.submit(op);
        return op;
    }

    public Operation delete(String name) {
        Database db = resources.database(name);
        Operation op = ops.create(name, db.projectId(), OperationKind.DELETE_DATABASE, METADATA, new OperationRequest.DeleteDatabase(db));
        store.operations().put(op);
        ops.submit(op);
        return op;
    }

    /** The owner: a role resource name or bare role id; unset means the project owner's role on this branch. */
    private String ownerRoleId(Branch branch, String raw) {
        if (raw == null) {
            Project project = resources.projectOf(branch.projectId());
            return store.roles().list(branch.name()).stream().filter(r -> r.postgresRole().equals(project.owner()))
                    .map(Role::roleId).findFirst()
                    .orElseThrow(() -> ApiException.required("spec.role"));
        }
        String roleName = raw.contains("/") ? raw : Role.nameOf(branch.projectId(), branch.branchId(), raw);
        if (!roleName.startsWith(branch.name() + "/roles/") || store.roles().get(roleName).isEmpty()) {
            throw new ApiException(404, "NOT_FOUND", "role not found; role_id:\"" + raw + "\" on " + branch.name()
                    + ". Create the role first or name an existing one.");
        }
        return roleName.substring(roleName.lastIndexOf('/') + 1);
    }

    private static String pgName(String value) {
        RoleService.checkPgName("spec.postgres_database", value);
        if (RESERVED.contains(value)) {
            throw ApiException.invalid("Database name '" + value + "' is reserved; choose another spec.postgres_database.");
        }
        return value;
    }

    private String uniqueId(Branch branch, String base) {
        String id = base;
        for (int i = 2; store.databases().get(Database.nameOf(branch.projectId(), branch.branchId(), id)).isPresent(); i++) {
            id = base + "-" + i;
        }
        return id;
    }
}
