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

    /** A connection to {@code database} as {@code user} through {@code socketDir}/.s.PGSQL.5432 (peer authentication: Oxbow's own OS user may log in as any role). */
    public static Connection open(Path socketDir, String database, String user) throws SQLException {
        // The host and port in the URL are ignored by the socket factory; the socket file is what counts.
        String url = "jdbc:postgresql://localhost:" + PORT + "/" + URLEncoder.encode(database, StandardCharsets.UTF_8);
        Properties props = new Properties();
        props.setProperty("user", user);
        props.setProperty("socketFactory", AFUNIXSocketFactory.FactoryArg.class.getName());
        props.setProperty("socketFactoryArg", socketDir.resolve(SOCKET_FILE).toString());
        props.setProperty("sslmode", "disable");
        props.setProperty("connectTimeout", "10");
        props.setProperty("ApplicationName", "oxbow");
        Connection c = new org.postgresql.Driver().connect(url, props);
        if (c == null) {
            throw new SQLException("pgjdbc rejected the URL " + url);
        }
        return c;
    }
}
