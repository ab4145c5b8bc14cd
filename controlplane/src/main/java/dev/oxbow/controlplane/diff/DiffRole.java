package dev.oxbow.controlplane.diff;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * The role every diff query runs as ({@value #NAME}): it can log in (only through the compute's private socket; it
 * has no password), reads every table through {@code pg_read_all_data} and past row-level security (BYPASSRLS, so a
 * diff sees every row), and can do nothing else. The superuser session here runs only CREATE ROLE, GRANT and catalog
 * queries, which run no tenant code. A role of that name someone else made (a tenant with CREATEROLE holds ADMIN on
 * the roles it creates) is refused, never adopted.
 */
final class DiffRole {
    static final String NAME = "oxbow_diff";

    private DiffRole() {}

    static void ensure(Connection admin) throws SQLException {
        if (!exists(admin)) {
            try (Statement st = admin.createStatement()) {
                st.execute("CREATE ROLE " + Ident.quote(NAME) + " LOGIN INHERIT BYPASSRLS NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION");
                st.execute("GRANT pg_read_all_data TO " + Ident.quote(NAME));
                st.execute("ALTER ROLE " + Ident.quote(NAME) + " SET default_transaction_read_only = on");
                return;
            } catch (SQLException e) {
                if (!"42710".equals(e.getSQLState()) && !"23505".equals(e.getSQLState())) {
                    throw e; // else made by a concurrent diff: checked below
                }
            }
        }
        List<String> problems = new ArrayList<>();
        try (PreparedStatement ps = admin.prepareStatement("SELECT r.rolsuper, r.rolcreaterole, r.rolcreatedb, r.rolreplication,"
                + " EXISTS (SELECT 1 FROM pg_catalog.pg_auth_members m WHERE m.roleid = r.oid),"
                + " EXISTS (SELECT 1 FROM pg_catalog.pg_auth_members m JOIN pg_catalog.pg_roles g ON g.oid = m.roleid"
                + "   WHERE m.member = r.oid AND g.rolname <> 'pg_read_all_data'),"
                + " NOT EXISTS (SELECT 1 FROM pg_catalog.pg_auth_members m JOIN pg_catalog.pg_roles g ON g.oid = m.roleid"
                + "   WHERE m.member = r.oid AND g.rolname = 'pg_read_all_data')"
                + " FROM pg_catalog.pg_roles r WHERE r.rolname = ?")) {
            ps.setString(1, NAME);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                String[] what = {"SUPERUSER", "CREATEROLE", "CREATEDB", "REPLICATION", "members", "other role memberships",
                        "no membership in pg_read_all_data"};
                for (int i = 0; i < what.length; i++) {
                    if (rs.getBoolean(i + 1)) problems.add(what[i]);
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new DiffFailure("Role " + NAME + " exists with " + String.join(", ", problems) + ", so it is not the one Oxbow created;"
                    + " the diff reads only as a role nobody else controls. Drop that role (an admin of the branch can).", null);
        }
    }

    private static boolean exists(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = ?")) {
            ps.setString(1, NAME);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }
}
