package dev.oxbow.compute;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Role and database administration on one superuser connection (in autocommit mode, the JDBC default:
 * CREATE/DROP DATABASE cannot run inside a transaction). Identifiers are always quoted, so role names
 * may be e-mails; every operation can be repeated after a crash part way through.
 */
public final class PgAdmin {
    /** Lakebase's built-in superuser-like role: the membership the API grants and revokes. */
    public static final String LAKEBASE_SUPERUSER_ROLE = "databricks_superuser";
    /** Postgres silently truncates longer names (NAMEDATALEN - 1), which would break every later lookup. */
    public static final int MAX_NAME_BYTES = 63;
    private static final Pattern SCRAM_VERIFIER =
            Pattern.compile("SCRAM-SHA-256\\$\\d+:[A-Za-z0-9+/=]+\\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+");
    private static final String DUPLICATE_OBJECT = "42710";
    private static final String DUPLICATE_DATABASE = "42P04";
    private static final String OBJECT_IN_USE = "55006";

    private final Connection c;

    public PgAdmin(Connection c) {
        this.c = c;
    }

    /** Opens a superuser connection to another database of the same server (for per-database work such as DROP OWNED). */
    @FunctionalInterface
    public interface DatabaseConnector {
        Connection open(String database) throws SQLException;
    }

    /** A quoted SQL identifier: {@code "name"} with embedded quotes doubled. */
    public static String ident(String name) {
        checkName(name);
        return "\"" + name.replace("\"", "\"\"") + "\"";
    }

    /** A quoted string literal for standard_conforming_strings = on (the default since PostgreSQL 9.1). */
    static String literal(String value) {
        if (value.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("string contains a NUL character");
        }
        return "'" + value.replace("'", "''") + "'";
    }

    // ---- roles

    public boolean roleExists(String role) throws SQLException {
        return exists("SELECT 1 FROM pg_roles WHERE rolname = ?", role);
    }

    /**
     * Creates the role, or brings an existing one to these attributes ({@link #alterRole}). Adds the
     * memberships in {@code memberOf}. {@code scramVerifier} is a SCRAM-SHA-256 verifier (never a
     * plaintext password); null creates the role without a password.
     */
    public void createRole(String role, boolean login, boolean createdb, boolean createrole, boolean bypassrls,
                           List<String> memberOf, String scramVerifier) throws SQLException {
        if (!roleExists(role)) {
            try {
                exec("CREATE ROLE " + ident(role) + " WITH" + attributes(login, createdb, createrole, bypassrls)
                        + (scramVerifier == null ? "" : " PASSWORD " + verifier(scramVerifier)));
                grantAll(memberOf, role);
                return;
            } catch (SQLException e) {
                if (!DUPLICATE_OBJECT.equals(e.getSQLState())) {
                    throw e;
                }
                // created concurrently: fall through and converge
            }
        }
        alterRole(role, login, createdb, createrole, bypassrls, memberOf, scramVerifier);
    }

    /**
     * {@link #alterRole(String, boolean, boolean, boolean, boolean, List, String, Collection)} where the API
     * manages only membership in {@value #LAKEBASE_SUPERUSER_ROLE}.
     */
    public void alterRole(String role, boolean login, boolean createdb, boolean createrole, boolean bypassrls,
                          List<String> memberOf, String scramVerifier) throws SQLException {
        alterRole(role, login, createdb, createrole, bypassrls, memberOf, scramVerifier, Set.of(LAKEBASE_SUPERUSER_ROLE));
    }

    /**
     * Sets the attributes and makes the role's memberships among {@code managedGroups} exactly those in
     * {@code memberOf} (memberships in other roles, e.g. granted through SQL, are kept). A null
     * {@code scramVerifier} leaves the password unchanged.
     */
    public void alterRole(String role, boolean login, boolean createdb, boolean createrole, boolean bypassrls,
                          List<String> memberOf, String scramVerifier, Collection<String> managedGroups) throws SQLException {
        exec("ALTER ROLE " + ident(role) + " WITH" + attributes(login, createdb, createrole, bypassrls)
                + (scramVerifier == null ? "" : " PASSWORD " + verifier(scramVerifier)));
        grantAll(memberOf, role);
        for (String group : memberships(role)) {
            if (managedGroups.contains(group) && !memberOf.contains(group)) {
                exec("REVOKE " + ident(group) + " FROM " + ident(role));
            }
        }
    }

    /** Makes {@code member} a member of {@code group}, unless it already is. */
    public void grantMembership(String group, String member) throws SQLException {
        if (!memberships(member).contains(group)) {
            exec("GRANT " + ident(group) + " TO " + ident(member));
        }
    }

    /** Removes {@code member} from {@code group}, if it is a member. */
    public void revokeMembership(String group, String member) throws SQLException {
        if (memberships(member).contains(group)) {
            exec("REVOKE " + ident(group) + " FROM " + ident(member));
        }
    }

    /** The roles {@code role} is a direct member of. */
    public List<String> memberships(String role) throws SQLException {
        return strings("SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
                + "JOIN pg_roles r ON r.oid = m.member WHERE r.rolname = ? ORDER BY 1", role);
    }

    /**
     * Drops the role everywhere: in every database that accepts connections its objects go to
     * {@code reassignOwnedTo} when given ({@code REASSIGN OWNED}), then {@code DROP OWNED} removes its
     * privileges and whatever it still owns there; finally the role itself. A role that is gone already is fine.
     * Databases it owns (shared objects) are only moved by a reassignment; without one, DROP ROLE fails on them.
     */
    public void dropRole(String role, String reassignOwnedTo, DatabaseConnector perDatabase) throws SQLException {
        if (!roleExists(role)) {
            return;
        }
        String current = currentDatabase();
        for (String db : connectableDatabases()) {
            if (db.equals(current)) {
                dropOwned(c, role, reassignOwnedTo);
            } else {
                try (Connection other = perDatabase.open(db)) {
                    dropOwned(other, role, reassignOwnedTo);
                }
            }
        }
        exec("DROP ROLE IF EXISTS " + ident(role));
    }

    /** {@link #dropRole(String, String, DatabaseConnector)} reaching the other databases through this server's socket. */
    public void dropRole(String role, String reassignOwnedTo) throws SQLException {
        java.nio.file.Path socketDir = java.nio.file.Path.of(firstSocketDirectory());
        String user = string("SELECT current_user");
        dropRole(role, reassignOwnedTo, db -> PgConnections.openForOxbow(socketDir, db, user));
    }

    private static void dropOwned(Connection conn, String role, String reassignOwnedTo) throws SQLException {
        try (Statement st = conn.createStatement()) {
            if (reassignOwnedTo != null) {
                st.execute("REASSIGN OWNED BY " + ident(role) + " TO " + ident(reassignOwnedTo));
            }
            st.execute("DROP OWNED BY " + ident(role));
        }
    }

    // ---- databases

    public boolean databaseExists(String database) throws SQLException {
        return exists("SELECT 1 FROM pg_database WHERE datname = ?", database);
    }

    public List<String> connectableDatabases() throws SQLException {
        return strings("SELECT datname FROM pg_database WHERE datallowconn ORDER BY 1", null);
    }

    /** Creates the database owned by {@code owner}; an existing one just gets that owner. */
    public void createDatabase(String database, String owner) throws SQLException {
        if (!databaseExists(database)) {
            try {
                exec("CREATE DATABASE " + ident(database) + " OWNER " + ident(owner));
                return;
            } catch (SQLException e) {
                if (!DUPLICATE_DATABASE.equals(e.getSQLState())) {
                    throw e;
                }
            }
        }
        alterDatabaseOwner(database, owner);
    }

    /**
     * Renames a database, disconnecting its sessions first (Postgres refuses to rename a database in use).
     * Done already (only {@code to} exists) is fine.
     */
    public void renameDatabase(String from, String to) throws SQLException {
        if (!databaseExists(from) && databaseExists(to)) {
            return;
        }
        for (int attempt = 1; ; attempt++) {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ? AND pid <> pg_backend_pid()")) {
                ps.setString(1, from);
                ps.execute();
            }
            try {
                exec("ALTER DATABASE " + ident(from) + " RENAME TO " + ident(to));
                return;
            } catch (SQLException e) {
                // a client reconnected between the two statements
                if (!OBJECT_IN_USE.equals(e.getSQLState()) || attempt == 5) {
                    throw e;
                }
            }
        }
    }

    public void alterDatabaseOwner(String database, String owner) throws SQLException {
        exec("ALTER DATABASE " + ident(database) + " OWNER TO " + ident(owner));
    }

    /** Drops the database, disconnecting its sessions ({@code WITH (FORCE)}); a missing database is fine. */
    public void dropDatabase(String database) throws SQLException {
        exec("DROP DATABASE IF EXISTS " + ident(database) + " WITH (FORCE)");
    }

    // ---- server state

    /** The current WAL position (the replay position on a standby), e.g. {@code 0/1A2B3C4}. */
    public String currentLsn() throws SQLException {
        return string("SELECT (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END)::text");
    }

    public String currentDatabase() throws SQLException {
        return string("SELECT current_database()");
    }

    // ---- helpers

    private void grantAll(List<String> groups, String member) throws SQLException {
        for (String group : groups) {
            grantMembership(group, member);
        }
    }

    private static String attributes(boolean login, boolean createdb, boolean createrole, boolean bypassrls) {
        return (login ? " LOGIN" : " NOLOGIN") + (createdb ? " CREATEDB" : " NOCREATEDB")
                + (createrole ? " CREATEROLE" : " NOCREATEROLE") + (bypassrls ? " BYPASSRLS" : " NOBYPASSRLS");
    }

    private static String verifier(String scramVerifier) {
        if (!SCRAM_VERIFIER.matcher(scramVerifier).matches()) {
            throw new IllegalArgumentException("not a SCRAM-SHA-256 verifier (SCRAM-SHA-256$<iterations>:<salt>$<stored key>:<server key>)");
        }
        return literal(scramVerifier);
    }

    private static void checkName(String name) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("empty SQL identifier");
        }
        if (name.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("SQL identifier contains a NUL character");
        }
        if (name.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
            throw new IllegalArgumentException("name longer than " + MAX_NAME_BYTES + " bytes: " + name);
        }
    }

    private String firstSocketDirectory() throws SQLException {
        String dirs = string("SELECT current_setting('unix_socket_directories')");
        return dirs.split(",")[0].strip();
    }

    private boolean exists(String sql, String arg) throws SQLException {
        checkName(arg);
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, arg);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    private List<String> strings(String sql, String arg) throws SQLException {
        List<String> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            if (arg != null) {
                ps.setString(1, arg);
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
        }
        return out;
    }

    private String string(String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private void exec(String sql) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }
}
