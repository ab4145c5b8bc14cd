package dev.oxbow.controlplane.sql;

import dev.oxbow.controlplane.operation.OperationRequestCodec;
import dev.oxbow.controlplane.operation.OperationRequest;
import dev.oxbow.metadata.OperationKind;
import dev.oxbow.controlplane.compute.BranchSql;
import dev.oxbow.controlplane.compute.Computes;
import dev.oxbow.controlplane.compute.Provisioner;
import dev.oxbow.controlplane.operation.OperationContext;
import dev.oxbow.controlplane.operation.OperationHandler;
import dev.oxbow.controlplane.operation.OperationResult;
import dev.oxbow.controlplane.resource.ApiException;
import dev.oxbow.controlplane.resource.Cascade;
import dev.oxbow.compute.PgAdmin;
import dev.oxbow.metadata.Branch;
import dev.oxbow.metadata.Database;
import dev.oxbow.metadata.MetadataStore;
import dev.oxbow.metadata.Operation;
import dev.oxbow.metadata.Project;
import dev.oxbow.metadata.Role;

import java.sql.Connection;
import java.util.HashMap;
import java.util.Map;

/**
 * The work behind role and database operations: SQL on the branch's read-write compute (started for the
 * occasion if it is suspended or disabled). A failed create forgets its record; a failed update restores it.
 */
public final class SqlOperations {
    private final OperationRequestCodec requests = new OperationRequestCodec();
    private final MetadataStore store;
    private final Computes computes;
    private final Provisioner provisioner;

    public SqlOperations(MetadataStore store, Computes computes, Provisioner provisioner) {
        this.store = store;
        this.computes = computes;
        this.provisioner = provisioner;
    }

    private interface SqlWork {
        void run(Connection c, PgAdmin.DatabaseConnector perDatabase) throws Exception;
    }

    private void onBranch(String projectId, String branchName, SqlWork work) throws Exception {
        Project project = Cascade.requireProject(store, Project.nameOf(projectId));
        Branch branch = Cascade.requireBranch(store, branchName);
        try (Computes.Lease held = computes.leasePrimary(project, branch, "role and database SQL");
             Connection c = computes.connect(project, branch, "postgres")) {
            work.run(c, db -> {
                try {
                    return computes.connect(project, branch, db);
                } catch (dev.oxbow.compute.ComputeException e) {
                    throw new java.sql.SQLException(e.getMessage(), e);
                }
            });
        }
    }


    private OperationHandler restoring(Class<? extends dev.oxbow.metadata.Resource> type, OperationHandler work,
                                       boolean deleteWhenNoPrevious) {
        return new OperationHandler() {
            @Override
            public OperationResult run(Operation op, OperationContext ctx) throws Exception {
                return work.run(op, ctx);
            }

            @Override
            public void compensate(Operation op) {
                Object previous = type == Role.class ? requests.read(op, OperationRequest.PutRole.class).previous()
                        : requests.read(op, OperationRequest.PutDatabase.class).previous();
                if (previous instanceof Role role) {
                    store.roles().put(role);
                } else if (previous instanceof Database database) {
                    store.databases().put(database);
                } else if (deleteWhenNoPrevious) {
                    if (type == Role.class) {
                        store.roles().delete(op.resourceName());
                    } else {
                        store.databases().delete(op.resourceName());
                    }
                }
            }
        };
    }

    public Map<OperationKind, OperationHandler> handlers() {
        OperationHandler applyRole = (op, ctx) -> {
            Role role = store.roles().get(op.resourceName()).orElseThrow(() -> ApiException.notFound("role", op.resourceName()));
            onBranch(role.projectId(), role.parentName(), (c, dbs) -> BranchSql.applyRole(c, role));
            return OperationResult.of(role);
        };
        OperationHandler applyDatabase = (op, ctx) -> {
            Database db = store.databases().get(op.resourceName()).orElseThrow(() -> ApiException.notFound("database", op.resourceName()));
            Database before = requests.read(op, OperationRequest.PutDatabase.class).previous();
            onBranch(db.projectId(), db.parentName(), (c, dbs) -> BranchSql.applyDatabase(c, before, db, provisioner.ownerRole(db)));
            return OperationResult.of(db);
        };
        Map<OperationKind, OperationHandler> handlers = new HashMap<>();
        handlers.put(OperationKind.CREATE_ROLE, restoring(Role.class, applyRole, true));
        handlers.put(OperationKind.UPDATE_ROLE, restoring(Role.class, applyRole, false));
        handlers.put(OperationKind.DELETE_ROLE, (op, ctx) -> {
            OperationRequest.DeleteRole req = requests.read(op, OperationRequest.DeleteRole.class);
            String projectId = op.projectId();
            String branchName = op.resourceName().substring(0, op.resourceName().indexOf("/roles/"));
            if (store.branches().get(branchName).isPresent()) {
                onBranch(projectId, branchName, (c, dbs) -> BranchSql.dropRole(c, req.postgresRole(), req.reassignOwnedTo(), dbs));
                String target = req.reassignOwnedTo();
                Role deleted = req.previous();
                if (target != null) {
                    store.roles().list(branchName).stream().filter(r -> r.postgresRole().equals(target)).findFirst().ifPresent(t ->
                            store.databases().list(branchName).stream().filter(d -> d.ownerRoleId().equals(deleted.roleId()))
                                    .forEach(d -> store.databases().put(new Database(d.projectId(), d.branchId(), d.databaseId(),
                                            d.createTime(), d.updateTime(), d.postgresDatabase(), t.roleId()))));
                }
            }
            store.roles().delete(op.resourceName());
            return OperationResult.empty();
        });
        handlers.put(OperationKind.CREATE_DATABASE, restoring(Database.class, applyDatabase, true));
        handlers.put(OperationKind.UPDATE_DATABASE, restoring(Database.class, applyDatabase, false));
        handlers.put(OperationKind.DELETE_DATABASE, (op, ctx) -> {
            Database db = requests.read(op, OperationRequest.DeleteDatabase.class).previous();
            if (store.branches().get(db.parentName()).isPresent()) {
                onBranch(db.projectId(), db.parentName(), (c, dbs) -> BranchSql.dropDatabase(c, db.postgresDatabase()));
            }
            store.databases().delete(op.resourceName());
            return OperationResult.empty();
        });
        return handlers;
    }
}
