package dev.oxbow.sync.cdf;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The role change feeds read as ({@value #NAME}): LOGIN and REPLICATION, nothing else; never a superuser, a
 * member of any role, or an owner of tenant objects. It holds SELECT on the fed tables (for their snapshots) and
 * reads the slot's changes. The publication and the grants are made by a superuser session with utility commands
 * only (CREATE/ALTER PUBLICATION, GRANT), which run no tenant code, as for synced tables' {@code SyncRole}.
 * A role of that name someone else made first (with other attributes or memberships) is refused, never adopted.
 */
public final class CdfRole {
    public static final String NAME = "oxbow_cdf";

    private CdfRole() {}

    public static void ensureRole(Connection admin) throws SQLException {
        try (PreparedStatement ps = admin.prepareStatement("SELECT rolsuper OR rolcreaterole OR rolcreatedb OR rolbypassrls OR NOT rolreplication"
                + " OR EXISTS (SELECT 1 FROM pg_catalog.pg_auth_members m WHERE m.roleid = r.oid OR m.member = r.oid)"
                + " FROM pg_catalog.pg_roles r WHERE r.rolname = ?")) {
            ps.setString(1, NAME);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    if (rs.getBoolean(1)) {
                        throw new SQLException("Role " + NAME + " exists with other attributes or memberships than Oxbow gives it, so it is not"
                                + " the one Oxbow created; change feeds run only as a role nobody else controls. Drop that role.", "42710");
                    }
                    return;
                }
            }
        }
        try (Statement s = admin.createStatement()) {
            s.execute("CREATE ROLE " + ChangeFeed.ident(NAME) + " LOGIN REPLICATION NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOINHERIT");
        } catch (SQLException e) {
            if (!"42710".equals(e.getSQLState())) throw e; // made concurrently by another feed
        }
    }
}
