package dev.oxbow.sync;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The unprivileged role synced tables are written as ({@value #NAME}: LOGIN, nothing else), and what a superuser
 * session sets up for it before a sync. The superuser only runs catalog queries and utility commands here (CREATE
 * ROLE, GRANT, CREATE SCHEMA, ALTER ... OWNER), which run no tenant code; every statement that could fire a
 * trigger, a rule or a tenant's function runs in the sync role's own session.
 *
 * <p>The sync role owns the synced tables and the schema {@value TableSync#STATE_SCHEMA} holding the sync state.
 * A role, schema or table of those names that someone else created first is refused, never adopted.
 */
public final class SyncRole {
    public static final String NAME = "oxbow_sync";

    private SyncRole() {}

    /**
     * Makes the role, its access to the connected database and the state schema ready; {@code admin} is a
     * superuser session on the database. Objects the previous Oxbow left owned by the superuser move to the role.
     */
    public static void prepareDatabase(Connection admin) throws SQLException, SyncException {
        serialized(admin, () -> prepareDatabaseNow(admin));
    }

    private interface Preparation {
        void run() throws SQLException, SyncException;
    }

    /**
     * Runs {@code work} while holding a lock of the database: two syncs preparing at once (two synced tables of one schema)
     * would GRANT on the same object concurrently, which PostgreSQL fails with "tuple concurrently updated".
     */
    private static void serialized(Connection admin, Preparation work) throws SQLException, SyncException {
        exec(admin, "SELECT pg_catalog.pg_advisory_lock(pg_catalog.hashtext('oxbow-sync-prepare'))");
        try {
            work.run();
        } finally {
            exec(admin, "SELECT pg_catalog.pg_advisory_unlock(pg_catalog.hashtext('oxbow-sync-prepare'))");
        }
    }

    private static void prepareDatabaseNow(Connection admin) throws SQLException, SyncException {
        ensureRole(admin);
        String self = string(admin, "SELECT current_user::text", null);
        String db = string(admin, "SELECT pg_catalog.current_database()::text", null);
        exec(admin, "GRANT CONNECT, TEMPORARY ON DATABASE " + Sql.ident(db) + " TO " + Sql.ident(NAME));
        String stateOwner = schemaOwner(admin, TableSync.STATE_SCHEMA);
        if (stateOwner == null) {
            exec(admin, "CREATE SCHEMA " + Sql.ident(TableSync.STATE_SCHEMA) + " AUTHORIZATION " + Sql.ident(NAME));
        } else if (stateOwner.equals(self)) {
            // made by the Oxbow before sync roles, as superuser: nobody else could create objects in it
            exec(admin, "ALTER SCHEMA " + Sql.ident(TableSync.STATE_SCHEMA) + " OWNER TO " + Sql.ident(NAME));
        } else if (!stateOwner.equals(NAME)) {
            throw new SyncException("Schema " + TableSync.STATE_SCHEMA + " in database " + db + " belongs to " + stateOwner
                    + ", not to Oxbow's sync role " + NAME + "; Oxbow keeps sync state only in a schema it created. Drop or rename that schema.");
        }
        String tableOwner = tableOwner(admin, TableSync.STATE_SCHEMA, "state");
        if (tableOwner != null && tableOwner.equals(self)) {
            exec(admin, "ALTER TABLE " + TableSync.STATE_TABLE + " OWNER TO " + Sql.ident(NAME));
        } else if (tableOwner != null && !tableOwner.equals(NAME)) {
            throw new SyncException("Table " + TableSync.STATE_TABLE + " in database " + db + " belongs to " + tableOwner
                    + ", not to Oxbow's sync role " + NAME + ". Drop it; Oxbow re-creates it.");
        }
    }

    /**
     * {@link #prepareDatabase} and the target: its schema (created for the role when missing, else the role may
     * create in it), and the table itself when it exists, which must be one the sync created.
     */
    public static void prepare(Connection admin, SyncSpec spec) throws SQLException, SyncException {
        checkSchemaName(spec.pgSchema());
        serialized(admin, () -> prepareNow(admin, spec));
    }

    private static void prepareNow(Connection admin, SyncSpec spec) throws SQLException, SyncException {
        prepareDatabaseNow(admin);
        String self = string(admin, "SELECT current_user::text", null);
        if (schemaOwner(admin, spec.pgSchema()) == null) {
            exec(admin, "CREATE SCHEMA IF NOT EXISTS " + Sql.ident(spec.pgSchema()) + " AUTHORIZATION " + Sql.ident(NAME));
        } else {
            exec(admin, "GRANT USAGE, CREATE ON SCHEMA " + Sql.ident(spec.pgSchema()) + " TO " + Sql.ident(NAME));
        }
        String owner = tableOwner(admin, spec.pgSchema(), spec.pgTable());
        if (owner != null && owner.equals(self)) {
            // a synced table the Oxbow before sync roles made: it owned it as superuser, so no tenant could change it
            exec(admin, "ALTER TABLE " + Sql.qualified(spec.pgSchema(), spec.pgTable()) + " OWNER TO " + Sql.ident(NAME));
        } else if (owner != null && !owner.equals(NAME)) {
            throw notCreatedBySync(spec, owner);
        }
    }

    /** Schemas of the system, and the state schema, are never targets. */
    public static void checkSchemaName(String schema) throws SyncException {
        String lower = schema.toLowerCase(Locale.ROOT);
        if (lower.startsWith("pg_") || lower.equals("information_schema") || lower.equals(TableSync.STATE_SCHEMA)) {
            throw new SyncException("Schema " + schema + " is reserved for the system; put the synced table in another schema.");
        }
    }

    static SyncException notCreatedBySync(SyncSpec spec, String owner) {
        return new SyncException("Table " + spec.pgSchema() + "." + spec.pgTable() + " already exists and belongs to " + owner
                + "; a synced table writes only into a table it created itself. Drop or rename the existing table, or sync into another name.");
    }

    /**
     * Creates the role, or checks that the existing one is Oxbow's: no attributes beyond LOGIN, no member and no
     * membership (a tenant with CREATEROLE who made it first would hold ADMIN on it).
     */
    public static void ensureRole(Connection admin) throws SQLException, SyncException {
        if (string(admin, "SELECT rolname::text FROM pg_catalog.pg_roles WHERE rolname = ?", NAME) == null) {
            try {
                exec(admin, "CREATE ROLE " + Sql.ident(NAME) + " LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT");
                return;
            } catch (SQLException e) {
                if (!"42710".equals(e.getSQLState())) throw e; // created concurrently: check it below
            }
        }
        List<String> problems = new ArrayList<>();
        try (PreparedStatement ps = admin.prepareStatement("SELECT rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls,"
                + " EXISTS (SELECT 1 FROM pg_catalog.pg_auth_members m WHERE m.roleid = r.oid OR m.member = r.oid)"
                + " FROM pg_catalog.pg_roles r WHERE r.rolname = ?")) {
            ps.setString(1, NAME);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                String[] attributes = {"SUPERUSER", "CREATEROLE", "CREATEDB", "REPLICATION", "BYPASSRLS"};
                for (int i = 0; i < attributes.length; i++) {
                    if (rs.getBoolean(i + 1)) problems.add(attributes[i]);
                }
                if (rs.getBoolean(6)) problems.add("role memberships");
            }
        }
        if (!problems.isEmpty()) {
            throw new SyncException("Role " + NAME + " exists with " + String.join(", ", problems) + ", so it is not the one Oxbow created;"
                    + " synced tables run only as an unprivileged role nobody else controls. Drop that role (an admin of the branch can).");
        }
    }

    private static String schemaOwner(Connection c, String schema) throws SQLException {
        return string(c, "SELECT pg_catalog.pg_get_userbyid(nspowner)::text FROM pg_catalog.pg_namespace WHERE nspname = ?", schema);
    }

    static String tableOwner(Connection c, String schema, String table) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_catalog.pg_get_userbyid(t.relowner)::text FROM pg_catalog.pg_class t"
                + " JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = ? AND t.relname = ?")) {
            ps.setString(1, schema);
            ps.setString(2, table);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    private static String string(Connection c, String sql, String parameter) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            if (parameter != null) ps.setString(1, parameter);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    private static void exec(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }
}
