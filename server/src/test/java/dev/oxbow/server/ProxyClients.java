package dev.oxbow.server;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/** Real clients through the proxy: pgjdbc in-process, psql and Python psycopg 3 as subprocesses. */
final class ProxyClients {
    private ProxyClients() {}

    static Connection jdbc(TestServer t, String endpointUid, String user, String password, String sslmode) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", user);
        p.setProperty("password", password);
        p.setProperty("sslmode", sslmode);
        p.setProperty("sslrootcert", t.server().caCertificate().toString());
        p.setProperty("options", "endpoint=" + endpointUid);
        p.setProperty("connectTimeout", "30");
        return DriverManager.getConnection("jdbc:postgresql://localhost:" + t.server().pgPort() + "/databricks_postgres", p);
    }

    static boolean hasPsql() {
        return Files.isExecutable(Path.of("/usr/bin/psql"));
    }

    static boolean hasPsycopg() {
        try {
            return new ProcessBuilder("/usr/bin/python3", "-c", "import psycopg").start().waitFor() == 0;
        } catch (Exception e) {
            return false;
        }
    }

    record Result(int exit, String output) {}

    /** psql with SNI: the host name routes, hostaddr avoids DNS, verify-full checks Oxbow's CA. */
    static Result psql(TestServer t, String host, String user, String password, String sslmode, String sql) throws Exception {
        String conn = "host=" + host + " hostaddr=127.0.0.1 port=" + t.server().pgPort() + " dbname=databricks_postgres user=" + user
                + " sslmode=" + sslmode + " sslrootcert=" + t.server().caCertificate();
        return run(Map.of("PGPASSWORD", password), "/usr/bin/psql", conn, "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", sql);
    }

    static Result psycopg(TestServer t, String host, String user, String password, String sql) throws Exception {
        String script = "import psycopg,sys\n"
                + "with psycopg.connect(host=sys.argv[1], hostaddr='127.0.0.1', port=int(sys.argv[2]), dbname='databricks_postgres',"
                + " user=sys.argv[3], password=sys.argv[4], sslmode='verify-full', sslrootcert=sys.argv[5]) as c:\n"
                + "    print(c.execute(sys.argv[6]).fetchone()[0])\n";
        return run(Map.of(), "/usr/bin/python3", "-c", script, host, Integer.toString(t.server().pgPort()), user, password,
                t.server().caCertificate().toString(), sql);
    }

    static Result run(Map<String, String> env, String... command) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(List.of(command)).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes()).strip();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("client timed out: " + out);
        }
        return new Result(p.exitValue(), out);
    }

    static List<Connection> open(int n, TestServer t, String uid, String user, String password) throws SQLException {
        List<Connection> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(jdbc(t, uid, user, password, "require"));
        }
        return out;
    }
}
