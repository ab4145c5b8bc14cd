package dev.oxbow.compute;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Role and database administration on one superuser connection. Identifiers are always quoted (role
 * names can be e-mails); creates and drops tolerate a previous attempt that got part of the way.
 */
public final class PgAdmin {
    private final Connection c;

    public PgAdmin(Connection c) {
        this.c = c;
    }

    /** Opens a connection to another database of the same server (for per-database work such as DROP OWNED). */
    public interface DatabaseConnector {
        Connection open(String database) throws SQLException;
    }

    public static String ident(String name) {
        return "\"" + name.replace("\"", "\"\"") + "\"";
    }

    static String literal(String value) {
        return "'" + value.replace("'", "''") + "'";
    }

    public boolean roleExists(String role) throws SQLException {
        return exists("SELECT 1 FROM pg_roles WHERE rolname = ?", role);
    }

    public boolean databaseExists(String database) throws SQLException {
        return exists("SELECT 1 FROM pg_database WHERE datname = ?", database);
    }

    public void createRole(String role, boolean login, boolean createdb, boolean createrole, boolean bypassrls,
                           List<String> memberOf, String scramVerifier) throws SQLException {
        if (roleExists(role)) {
            alterRole(role, login, createdb, createrole, bypassrls, memberOf, scramVerifier);
            return;
        }
        exec("CREATE ROLE " + ident(role) + options(login, createdb, createrole, bypassrls, scramVerifier));
        for (String group : memberOf) {
            grantMembership(group, role);
        }
    }

    /** Sets the attributes and makes {@code memberOf} the exact set of Oxbow-managed memberships. */
    public void alterRole(String role, boolean login, boolean createdb, boolean createrole, boolean bypassrls,
                          List<String> memberOf, String scramVerifier) throws SQLException {
        exec("ALTER ROLE " + ident(role) + options(login, createdb, createrole, bypassrls, scramVerifier));
        for (String group : memberOf) {
            grantMembership(group, role);
        }
        for (String current : memberships(role)) {
            if (!memberOf.contains(current) && current.equals("databricks_superuser")) {
                exec("REVOKE " + ident(current) + " FROM " + ident(role));
            }
        }
    }

    public void grantMembership(String group, String member) throws SQLException {
        if (!memberships(member).contains(group)) {
            exec("GRANT " + ident(group) + " TO " + ident(member));
        }
    }

    public List<String> memberships(String role) throws SQLException {
        List<String> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid JOIN pg_roles r ON r.oid = m.member WHERE r.rolname = ?")) {
            ps.setString(1, role);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
        }
        return out;
    }

    /**
     * Drops the role: its objects go to {@code reassignTo} when given (else they are dropped) in every
     * database, then the role itself.
     */
    public void dropRole(String role, String reassignTo, DatabaseConnector connector) throws SQLException {
        if (!roleExists(role)) {
            return;
        }
        for (String db : connectableDatabases()) {
            try (Connection other = connector.open(db); Statement st = other.createStatement()) {
                if (reassignTo != null) {
                    st.execute("REASSIGN OWNED BY " + ident(role) + " TO " + ident(reassignTo));
                }
                st.execute("DROP OWNED BY " + ident(role));
            }
        }
        exec("DROP ROLE IF EXISTS " + ident(role));
    }

    public List<String> connectableDatabases() throws SQLException {
        List<String> out = new ArrayList<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT datname FROM pg_database WHERE datallowconn ORDER BY 1")) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    public void createDatabase(String database, String owner) throws SQLException {
        if (databaseExists(database)) {
            alterDatabaseOwner(database, owner);
            return;
        }
        exec("CREATE DATABASE " + ident(database) + " OWNER " + ident(owner));
    }

    public void renameDatabase(String from, String to) throws SQLException {
        exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = " + literal(from) + " AND pid <> pg_backend_pid()");
        exec("ALTER DATABASE " + ident(from) + " RENAME TO " + ident(to));
    }

    public void alterDatabaseOwner(String database, String owner) throws SQLException {
        exec("ALTER DATABASE " + ident(database) + " OWNER TO " + ident(owner));
    }

    public void dropDatabase(String database) throws SQLException {
        exec("DROP DATABASE IF EXISTS " + ident(database) + " WITH (FORCE)");
    }

    public String currentLsn() throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT pg_current_wal_lsn()::text")) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static String options(boolean login, boolean createdb, boolean createrole, boolean bypassrls, String scramVerifier) {
        return (login ? " LOGIN" : " NOLOGIN") + (createdb ? " CREATEDB" : " NOCREATEDB")
                + (createrole ? " CREATEROLE" : " NOCREATEROLE") + (bypassrls ? " BYPASSRLS" : " NOBYPASSRLS")
                + (scramVerifier != null ? " PASSWORD " + literal(scramVerifier) : "");
    }

    private boolean exists(String sql, String arg) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, arg);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    private void exec(String sql) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }
}
