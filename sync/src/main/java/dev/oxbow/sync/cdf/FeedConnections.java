package dev.oxbow.sync.cdf;

import org.newsclub.net.unix.AFUNIXSocketFactory;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Properties;

/** {@link ChangeFeed.Connections} through a compute's unix socket, with peer authentication as Oxbow's OS user. */
public record FeedConnections(Path socketDir, String database, String superuser) implements ChangeFeed.Connections {
    private static final String SEARCH_PATH = "-c search_path=pg_catalog,pg_temp";

    @Override
    public Connection admin() throws SQLException {
        return connect(superuser, SEARCH_PATH, false);
    }

    @Override
    public Connection feedRole() throws SQLException {
        return connect(CdfRole.NAME, SEARCH_PATH + " " + CdfTypes.SESSION_OPTIONS, false);
    }

    @Override
    public Connection replication() throws SQLException {
        return connect(CdfRole.NAME, SEARCH_PATH + " " + CdfTypes.SESSION_OPTIONS, true);
    }

    private Connection connect(String user, String options, boolean replication) throws SQLException {
        String url = "jdbc:postgresql://localhost:5432/" + URLEncoder.encode(database, StandardCharsets.UTF_8);
        Properties props = new Properties();
        props.setProperty("user", user);
        props.setProperty("socketFactory", AFUNIXSocketFactory.FactoryArg.class.getName());
        props.setProperty("socketFactoryArg", socketDir.resolve(".s.PGSQL.5432").toString());
        props.setProperty("sslmode", "disable");
        props.setProperty("connectTimeout", "10");
        props.setProperty("ApplicationName", "oxbow-cdf");
        props.setProperty("options", options);
        if (replication) {
            props.setProperty("replication", "database");
            props.setProperty("assumeMinServerVersion", "10");
            props.setProperty("preferQueryMode", "simple");
        }
        Connection c = new org.postgresql.Driver().connect(url, props);
        if (c == null) throw new SQLException("pgjdbc rejected the URL " + url);
        return c;
    }
}
