package dev.oxbow.controlplane.compute;

import dev.oxbow.controlplane.resource.Defaults;
import dev.oxbow.compute.PgAdmin;
import dev.oxbow.metadata.Database;
import dev.oxbow.metadata.Role;
import dev.oxbow.sync.SyncException;
import dev.oxbow.sync.SyncRole;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;

/** Role and database records expressed as SQL on a branch's compute; every call is safe to repeat. */
public final class BranchSql {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(BranchSql.class);
    private static final Map<String, String> MEMBERSHIP_ROLES = Map.of("DATABRICKS_SUPERUSER", Defaults.SUPERUSER_ROLE);

    private BranchSql() {}

    /** The roles every cluster has from birth: Lakebase's databricks_superuser, and Oxbow's unprivileged sync role. */
    static void bootstrap(Connection c) throws SQLException {
        PgAdmin admin = new PgAdmin(c);
        admin.createRole(Defaults.SUPERUSER_ROLE, false, true, true, true, List.of(), null);
        for (String grant : List.of("pg_read_all_data", "pg_write_all_data", "pg_monitor", "pg_signal_backend")) {
            admin.grantMembership(grant, Defaults.SUPERUSER_ROLE);
        }
        try {
            SyncRole.ensureRole(c); // before any tenant role exists, so none can have made it first
        } catch (SyncException e) {
            log.warn("sync role not ready: {}", e.getMessage()); // synced tables refuse to run until it is fixed
        }
    }

    public static void applyRole(Connection c, Role role) throws SQLException {
        PgAdmin admin = new PgAdmin(c);
        List<String> memberOf = role.membershipRoles().stream().map(m -> MEMBERSHIP_ROLES.getOrDefault(m, m)).toList();
        boolean login = !"NO_LOGIN".equals(role.authMethod());
        if (admin.roleExists(role.postgresRole())) {
            admin.alterRole(role.postgresRole(), login, role.createdb(), role.createrole(), role.bypassrls(), memberOf, role.scramVerifier());
        } else {
            admin.createRole(role.postgresRole(), login, role.createdb(), role.createrole(), role.bypassrls(), memberOf, role.scramVerifier());
        }
    }

    public static void dropRole(Connection c, String postgresRole, String reassignOwnedTo, PgAdmin.DatabaseConnector perDatabase) throws SQLException {
        new PgAdmin(c).dropRole(postgresRole, reassignOwnedTo, perDatabase);
    }

    public static void applyDatabase(Connection c, Database previous, Database db, String ownerRole) throws SQLException {
        PgAdmin admin = new PgAdmin(c);
        if (previous != null && !previous.postgresDatabase().equals(db.postgresDatabase())
                && admin.databaseExists(previous.postgresDatabase()) && !admin.databaseExists(db.postgresDatabase())) {
            admin.renameDatabase(previous.postgresDatabase(), db.postgresDatabase());
        }
        if (admin.databaseExists(db.postgresDatabase())) {
            admin.alterDatabaseOwner(db.postgresDatabase(), ownerRole);
        } else {
            admin.createDatabase(db.postgresDatabase(), ownerRole);
        }
    }

    public static void dropDatabase(Connection c, String postgresDatabase) throws SQLException {
        new PgAdmin(c).dropDatabase(postgresDatabase);
    }
}
