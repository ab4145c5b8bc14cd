package dev.oxbow.compute;

import org.newsclub.net.unix.AFUNIXSocketFactory;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Properties;

/** JDBC connections to a compute through its private unix socket (computes listen on no TCP port). */
public final class PgConnections {
    public static final int PORT = 5432;
    public static final String SOCKET_FILE = ".s.PGSQL." + PORT;
    /** The role a standby streams WAL as: replication only, never superuser (see ServerConfig's pg_hba.conf). */
    public static final String REPLICATION_ROLE = "oxbow_replicator";

    private PgConnections() {}

    /**
     * Startup options of Oxbow's own sessions: the search path names only the system catalog (and the session's
     * own temporary schema, for tables), so no function, operator or table a tenant created can stand in for a
     * built-in. Given at startup, it also wins over ALTER DATABASE / ALTER ROLE ... SET search_path.
     */
    static final String SAFE_SEARCH_PATH = "-c search_path=pg_catalog,pg_temp";

    /**
     * A session of Oxbow's own (administration, maintenance, synced tables) into a database tenants control:
     * {@link #open} with the search path pinned to {@value #SAFE_SEARCH_PATH}. Every name it uses that is not in
     * pg_catalog must be schema-qualified.
     */
    public static Connection openForOxbow(Path socketDir, String database, String user) throws SQLException {
        return connect(socketDir, database, user, SAFE_SEARCH_PATH + " " + LOCAL_COMMIT);
    }

    /**
     * Oxbow's own commits (roles, databases, maintenance) never wait for a synchronous standby: in a project
     * with synchronous WAL that is Oxbow's own receiver, and the API must not hang on the object store.
     */
    static final String LOCAL_COMMIT = "-c synchronous_commit=local";

    /** A connection to {@code database} as {@code user} through {@code socketDir}/.s.PGSQL.5432 (peer authentication: Oxbow's own OS user may log in as any role), with the role's own settings. */
    public static Connection open(Path socketDir, String database, String user) throws SQLException {
        return connect(socketDir, database, user, null);
    }

    /**
     * A physical replication connection (walsender) of Oxbow's own, named {@code applicationName} so that
     * {@code synchronous_standby_names} can name it; pgjdbc's replication API needs the simple query protocol.
     */
    public static Connection openForReplication(Path socketDir, String user, String applicationName) throws SQLException {
        Properties extra = new Properties();
        extra.setProperty("replication", "true");
        extra.setProperty("assumeMinServerVersion", "9.4"); // pgjdbc sends application_name at startup only then
        extra.setProperty("preferQueryMode", "simple");
        extra.setProperty("ApplicationName", applicationName);
        // also as a startup option: pgjdbc's own application_name parameter did not reach the walsender here
        return connect(socketDir, "postgres", user, "-c application_name=" + applicationName, extra);
    }

    private static Connection connect(Path socketDir, String database, String user, String options) throws SQLException {
        return connect(socketDir, database, user, options, new Properties());
    }

    private static Connection connect(Path socketDir, String database, String user, String options, Properties extra) throws SQLException {
        // The host and port in the URL are ignored by the socket factory; the socket file is what counts.
        String url = "jdbc:postgresql://localhost:" + PORT + "/" + URLEncoder.encode(database, StandardCharsets.UTF_8);
        Properties props = new Properties();
        props.setProperty("user", user);
        props.setProperty("socketFactory", AFUNIXSocketFactory.FactoryArg.class.getName());
        props.setProperty("socketFactoryArg", socketDir.resolve(SOCKET_FILE).toString());
        props.setProperty("sslmode", "disable");
        props.setProperty("connectTimeout", "10");
        props.setProperty("ApplicationName", "oxbow");
        if (options != null) {
            props.setProperty("options", options);
        }
        props.putAll(extra);
        Connection c = new org.postgresql.Driver().connect(url, props);
        if (c == null) {
            throw new SQLException("pgjdbc rejected the URL " + url);
        }
        return c;
    }
}
