package dev.oxbow.controlplane.sql;

import dev.oxbow.compute.PgConnections;
import dev.oxbow.controlplane.resource.Defaults;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * The Postgres roles behind READ_ONLY scoped credentials. Each credential gets its own role ({@code oxbow_ro_} and a
 * hash of the token id, so nobody without the token can know its name in advance) that can log in, belongs to no
 * other role, and holds SELECT on the credential's tables and USAGE on their schemas, and nothing else of its own.
 * Read-only is therefore a matter of privileges: {@code SET default_transaction_read_only = off} changes nothing,
 * {@code SET ROLE} has no role to go to, and writes fail with "permission denied". The role is granted only what the
 * credential's holder can read itself. Roles of expired credentials are dropped on later logins.
 */
public final class ScopedRoles {
    public static final String PREFIX = "oxbow_ro_";

    /** Thrown with a message for the client. */
    public static final class Refused extends Exception {
        Refused(String message) {
            super(message);
        }
    }

    /** The role name for a credential id. */
    public static String roleFor(String credentialId) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(credentialId.getBytes(StandardCharsets.UTF_8));
            return PREFIX + HexFormat.of().formatHex(h, 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Makes the credential's role hold exactly read access to the tables of {@code tables} in {@code database} (names are
     * {@code database.schema.table}, {@code schema.table} or {@code table} in public) and returns its name.
     */
    public String ensure(Path socketDir, String login, String database, List<String> tables, String credentialId, Instant expireTime,
                         Instant now) throws SQLException, Refused {
        List<String> here = tablesIn(database, tables);
        if (here.isEmpty()) {
            throw new Refused("it may read only " + String.join(", ", tables) + ", none of them in database \"" + database + "\"");
        }
        String role = roleFor(credentialId);
        String connectGrant;
        try (Connection c = PgConnections.openForOxbow(socketDir, database, Defaults.SYSTEM_ROLE)) {
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                // one login at a time makes a given credential's role
                st.execute("SELECT pg_advisory_xact_lock(hashtext('" + role + "'))");
                dropExpired(c, now);
                try (PreparedStatement ps = c.prepareStatement("SELECT has_database_privilege(?, current_database(), 'CONNECT'), quote_ident(current_database())")) {
                    ps.setString(1, login);
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        if (!rs.getBoolean(1)) {
                            throw new Refused("\"" + login + "\" may not connect to database \"" + database + "\" itself");
                        }
                        connectGrant = "GRANT CONNECT ON DATABASE " + rs.getString(2) + " TO " + role;
                    }
                }
                List<String> regclasses = new ArrayList<>();
                for (String table : here) {
                    regclasses.add(checkReadable(c, login, table));
                }
                if (!exists(c, role)) {
                    st.execute("CREATE ROLE " + role + " LOGIN NOINHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS");
                    st.execute("COMMENT ON ROLE " + role + " IS 'oxbow read-only credential until " + expireTime.getEpochSecond() + "'");
                } else {
                    checkBare(c, role);
                }
                st.execute("ALTER ROLE " + role + " SET default_transaction_read_only = on");
                st.execute(connectGrant);
                for (String regclass : regclasses) {
                    String schema = regclass.substring(0, regclass.indexOf('.'));
                    st.execute("GRANT USAGE ON SCHEMA " + schema + " TO " + role);
                    st.execute("GRANT SELECT ON TABLE " + regclass + " TO " + role);
                }
            }
            c.commit();
        }
        return role;
    }

    /** The credential's tables that live in {@code database}, as {@code schema.table}. */
    static List<String> tablesIn(String database, List<String> tables) {
        List<String> out = new ArrayList<>();
        for (String t : tables) {
            String[] parts = t.split("\\.");
            String qualified = switch (parts.length) {
                case 1 -> "public." + parts[0];
                case 2 -> t;
                default -> parts[0].equals(database) ? parts[1] + "." + parts[2] : null;
            };
            if (qualified != null && !out.contains(qualified)) {
                out.add(qualified);
            }
        }
        return out;
    }

    /** The table as a quoted {@code schema.table}, once {@code login} is shown to be allowed to read it. */
    private static String checkReadable(Connection c, String login, String table) throws SQLException, Refused {
        String[] parts = table.split("\\.");
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT quote_ident(n.nspname) || '.' || quote_ident(cl.relname), "
                        + "has_table_privilege(r.oid, cl.oid, 'SELECT') "
                        + "FROM pg_class cl JOIN pg_namespace n ON n.oid = cl.relnamespace, pg_roles r "
                        + "WHERE n.nspname = ? AND cl.relname = ? AND cl.relkind IN ('r', 'p', 'v', 'm', 'f') AND r.rolname = ?")) {
            ps.setString(1, parts[0].toLowerCase(Locale.ROOT));
            ps.setString(2, parts[1].toLowerCase(Locale.ROOT));
            ps.setString(3, login);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new Refused("table " + table + " does not exist here (or role \"" + login + "\" does not)");
                }
                if (!rs.getBoolean(2)) {
                    throw new Refused("\"" + login + "\" may not read " + table + " itself, so its credential may not either");
                }
                return rs.getString(1);
            }
        }
    }

    private static boolean exists(Connection c, String role) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_roles WHERE rolname = ?")) {
            ps.setString(1, role);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    /** A role of that name that someone gave more than Oxbow gives is not used. */
    private static void checkBare(Connection c, String role) throws SQLException, Refused {
        try (PreparedStatement ps = c.prepareStatement("SELECT r.rolsuper OR r.rolinherit OR r.rolcreaterole OR r.rolcreatedb OR r.rolreplication "
                + "OR r.rolbypassrls OR EXISTS (SELECT 1 FROM pg_auth_members m WHERE m.member = r.oid) FROM pg_roles r WHERE r.rolname = ?")) {
            ps.setString(1, role);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next() && rs.getBoolean(1)) {
                    throw new Refused("its role was altered outside Oxbow; generate a new credential");
                }
            }
        }
    }

    /** Drops the roles of expired credentials (best effort: one with grants in another database stays until a login there). */
    private static void dropExpired(Connection c, Instant now) throws SQLException {
        List<String> expired = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT r.rolname, shobj_description(r.oid, 'pg_authid') FROM pg_roles r WHERE r.rolname LIKE ?")) {
            ps.setString(1, PREFIX.replace("_", "\\_") + "%");
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String comment = rs.getString(2);
                    String until = comment == null ? null : comment.substring(comment.lastIndexOf(' ') + 1);
                    if (until != null && until.matches("\\d+") && Long.parseLong(until) < now.getEpochSecond()) {
                        expired.add(rs.getString(1));
                    }
                }
            }
        }
        for (String role : expired) {
            try (Statement st = c.createStatement()) {
                st.execute("SAVEPOINT drop_expired");
                st.execute("DROP OWNED BY " + role);
                st.execute("DROP ROLE " + role);
                st.execute("RELEASE SAVEPOINT drop_expired");
            } catch (SQLException e) {
                try (Statement st = c.createStatement()) {
                    st.execute("ROLLBACK TO SAVEPOINT drop_expired");
                }
            }
        }
    }
}
