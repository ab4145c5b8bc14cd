package dev.oxbow.dataapi;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * The login-only role the Data API connects as (PostgREST's "authenticator"): no superuser, no inherited privileges
 * (NOINHERIT), so on its own it can do nothing; it is a member of the identity roles it may switch to per transaction.
 * Only Oxbow's own OS user reaches it (peer authentication on the compute's socket); no API may create a role of this name.
 */
public final class AuthenticatorRole {
    public static final String NAME = "oxbow_authenticator";

    private AuthenticatorRole() {}

    /** Creates the role if missing (roles are cluster-wide) and lets it connect to {@code database}; run as a superuser. */
    public static void ensure(Connection superuser, String database) throws SQLException {
        try (Statement st = superuser.createStatement()) {
            st.execute("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '" + NAME + "') THEN CREATE ROLE " + NAME
                    + " LOGIN NOINHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS; END IF; END $$");
            st.execute("ALTER ROLE " + NAME + " LOGIN NOINHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS");
            st.execute("GRANT CONNECT ON DATABASE " + SqlText.quote(database) + " TO " + NAME);
        }
    }

    /**
     * Makes the authenticator a member of {@code role} so it may {@code SET ROLE} to it; refused for superusers and for
     * roles that do not exist. Returns whether it is (now) a member.
     */
    public static boolean grant(Connection superuser, String role) throws SQLException {
        try (PreparedStatement ps = superuser.prepareStatement("SELECT rolsuper FROM pg_roles WHERE rolname = ?")) {
            ps.setString(1, role);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next() || rs.getBoolean(1)) {
                    return false;
                }
            }
        }
        try (Statement st = superuser.createStatement()) {
            st.execute("GRANT " + SqlText.quote(role) + " TO " + NAME);
        }
        return true;
    }

    /** Whether the authenticator (the current user of {@code c}) may switch to {@code role}. */
    public static boolean canBecome(Connection authenticator, String role) throws SQLException {
        try (PreparedStatement ps = authenticator.prepareStatement(
                "SELECT CASE WHEN EXISTS (SELECT FROM pg_roles WHERE rolname = ?) THEN pg_has_role(current_user, ?, 'MEMBER') ELSE false END")) {
            ps.setString(1, role);
            ps.setString(2, role);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }

    /** The schemas of the database a Data API could expose (not Postgres' own). */
    public static List<String> schemas(Connection c) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
                "SELECT nspname FROM pg_namespace WHERE nspname !~ '^pg_' AND nspname <> 'information_schema' ORDER BY nspname")) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }
}
