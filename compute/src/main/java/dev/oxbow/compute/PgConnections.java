package dev.oxbow.compute;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;

/** JDBC connections to a compute through its private unix socket (computes listen on no TCP port). */
public final class PgConnections {
    public static final String SOCKET_FILE = ".s.PGSQL.5432";

    private PgConnections() {}

    public static Connection open(Path socketDir, String database, String user) throws SQLException {
        String url = "jdbc:postgresql://localhost:5432/" + URLEncoder.encode(database, StandardCharsets.UTF_8)
                + "?socketFactory=org.newsclub.net.unix.AFUNIXSocketFactory$FactoryArg"
                + "&socketFactoryArg=" + URLEncoder.encode(socketDir.resolve(SOCKET_FILE).toString(), StandardCharsets.UTF_8)
                + "&sslmode=disable&connectTimeout=10&ApplicationName=oxbow";
        Properties props = new Properties();
        props.setProperty("user", user);
        return DriverManager.getConnection(url, props);
    }
}
