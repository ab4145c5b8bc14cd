package dev.oxbow.server;

import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.postgresql.PGStatement;
import org.postgresql.copy.CopyManager;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The client matrix's pgjdbc row, in this JVM (pgjdbc is the tests' own driver): the same checks and the same
 * PASS/FAIL lines as the scripts under {@code clients/}, connecting by the endpoint's host name.
 */
final class PgjdbcMatrix {
    /** Where and as whom to connect: the same settings the scripts get from their environment. */
    record Target(String host, int port, String user, String token, String caFile, int rows, String prefix) {}

    /** One check: its detail on success; any exception is its failure. */
    private interface Check {
        String run() throws Exception;
    }

    private final Target t;
    private final byte[] blob = new byte[10 * 1024 * 1024];

    PgjdbcMatrix(Target target) {
        this.t = target;
        new Random(23).nextBytes(blob);
    }

    /** Runs every check ("all") or only after_suspend ("after-suspend"); check name → its PASS/FAIL line. */
    Map<String, String> run(String mode) {
        Map<String, Check> checks = new LinkedHashMap<>();
        if ("after-suspend".equals(mode)) {
            checks.put("after_suspend", () -> scalar(connect(verifyFull()), "select 1"));
        } else {
            checks.put("connect_require", () -> expect(scalar(connect(require()), "select current_user"), t.user()));
            checks.put("connect_verify_full", () -> expect(scalar(connect(verifyFull()), "select 1"), "1"));
            checks.put("prepared_reused", this::preparedReused);
            checks.put("copy_in", this::copyIn);
            checks.put("copy_out", this::copyOut);
            checks.put("bytea_10mb_up", this::byteaUp);
            checks.put("bytea_10mb_down", this::byteaDown);
            checks.put("result_50mb", this::result50mb);
            checks.put("listen_notify", this::listenNotify);
            checks.put("cancel", this::cancel);
        }
        Map<String, String> results = new LinkedHashMap<>();
        checks.forEach((name, check) -> {
            long start = System.nanoTime();
            try {
                String detail = check.run();
                results.put(name, "PASS " + name + " " + detail + String.format(" (%.1f s)", (System.nanoTime() - start) / 1e9));
            } catch (Exception | AssertionError e) {
                results.put(name, "FAIL " + name + " " + e);
            }
        });
        return results;
    }

    Properties require() {
        Properties p = base();
        p.setProperty("sslmode", "require");
        return p;
    }

    /** The host name checked against Oxbow's CA. */
    Properties verifyFull() {
        Properties p = base();
        p.setProperty("sslmode", "verify-full");
        p.setProperty("sslrootcert", t.caFile());
        return p;
    }

    private Properties base() {
        Properties p = new Properties();
        p.setProperty("user", t.user());
        p.setProperty("password", t.token());
        p.setProperty("connectTimeout", "30");
        return p;
    }

    String url() {
        return "jdbc:postgresql://" + t.host() + ":" + t.port() + "/databricks_postgres";
    }

    Connection connect(Properties p) throws SQLException {
        return DriverManager.getConnection(url(), p);
    }

    private String preparedReused() throws Exception {
        Properties p = verifyFull();
        p.setProperty("prepareThreshold", "1"); // server-side from the first execution on
        try (Connection c = connect(p); PreparedStatement ps = c.prepareStatement("select ?::int * 2")) {
            int total = 0;
            for (int i = 1; i <= 6; i++) {
                ps.setInt(1, i);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    total += rs.getInt(1);
                }
            }
            boolean serverSide = ps.unwrap(PGStatement.class).isUseServerPrepare();
            String prepared = scalarOn(c, "select count(*) from pg_prepared_statements");
            expect(serverSide && Integer.parseInt(prepared) >= 1, true);
            return expect(total, 42) + " (" + prepared + " server-side prepared)";
        }
    }

    private String copyIn() throws Exception {
        try (Connection c = connect(verifyFull()); Statement st = c.createStatement()) {
            st.execute("drop table if exists " + t.prefix() + "rows");
            st.execute("create table " + t.prefix() + "rows (i int, t text)");
            long copied = c.unwrap(PGConnection.class).getCopyAPI().copyIn("copy " + t.prefix() + "rows from stdin", new CopyRows(t.rows()), 65536);
            expect(copied, (long) t.rows());
            return expect(scalarOn(c, "select count(*) || ' ' || sum(i) from " + t.prefix() + "rows"),
                    t.rows() + " " + ((long) t.rows() * (t.rows() + 1) / 2));
        }
    }

    private String copyOut() throws Exception {
        try (Connection c = connect(verifyFull())) {
            LineCounter lines = new LineCounter();
            CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
            copy.copyOut("copy " + t.prefix() + "rows to stdout", lines);
            return expect(lines.lines, (long) t.rows());
        }
    }

    private String byteaUp() throws Exception {
        try (Connection c = connect(verifyFull()); Statement st = c.createStatement()) {
            st.execute("drop table if exists " + t.prefix() + "blobs");
            st.execute("create table " + t.prefix() + "blobs (id int, b bytea)");
            try (PreparedStatement ps = c.prepareStatement("insert into " + t.prefix() + "blobs values (1, ?)")) {
                ps.setBytes(1, blob);
                ps.executeUpdate();
            }
            return expect(scalarOn(c, "select md5(b) from " + t.prefix() + "blobs where id = 1"), md5(blob));
        }
    }

    private String byteaDown() throws Exception {
        try (Connection c = connect(verifyFull()); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select b from " + t.prefix() + "blobs where id = 1")) {
            rs.next();
            return expect(md5(rs.getBytes(1)), md5(blob));
        }
    }

    private String result50mb() throws Exception {
        try (Connection c = connect(verifyFull()); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select repeat('x', 1024) from generate_series(1, 51200)")) {
            long size = 0;
            while (rs.next()) {
                size += rs.getString(1).length();
            }
            return expect(size, 50L * 1024 * 1024);
        }
    }

    private String listenNotify() throws Exception {
        try (Connection listener = connect(verifyFull()); Connection sender = connect(verifyFull())) {
            listener.createStatement().execute("listen " + t.prefix() + "chan");
            sender.createStatement().execute("notify " + t.prefix() + "chan, 'hello'");
            PGNotification[] got = listener.unwrap(PGConnection.class).getNotifications(30_000);
            expect(got != null && got.length == 1, true);
            return expect(got[0].getName() + " " + got[0].getParameter(), t.prefix() + "chan hello");
        }
    }

    private String cancel() throws Exception {
        try (Connection c = connect(verifyFull()); Connection watcher = connect(verifyFull()); Statement sleeping = c.createStatement()) {
            int pid = c.unwrap(PGConnection.class).getBackendPID();
            CompletableFuture<SQLException> outcome = CompletableFuture.supplyAsync(() -> {
                try {
                    sleeping.execute("select pg_sleep(60)");
                    return null;
                } catch (SQLException e) {
                    return e;
                }
            });
            try (PreparedStatement ps = watcher.prepareStatement("select count(*) from pg_stat_activity where pid = ? and wait_event = 'PgSleep'")) {
                ps.setInt(1, pid);
                for (int polls = 0; ; polls++) {
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        if (rs.getInt(1) == 1) {
                            break;
                        }
                    }
                    if (polls > 3000) {
                        throw new AssertionError("pg_sleep never started");
                    }
                }
            }
            sleeping.cancel(); // pgjdbc's CancelRequest, on a new connection
            SQLException e = outcome.get(60, TimeUnit.SECONDS);
            if (e == null) {
                throw new AssertionError("pg_sleep(60) was not cancelled");
            }
            return expect(e.getSQLState(), "57014") + " " + e.getMessage();
        }
    }

    private static String scalar(Connection c, String sql) throws SQLException {
        try (c) {
            return scalarOn(c, sql);
        }
    }

    private static String scalarOn(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static String expect(Object got, Object want) {
        if (!got.equals(want)) {
            throw new AssertionError("expected " + want + ", got " + got);
        }
        return String.valueOf(got);
    }

    private static String md5(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(bytes));
    }

    /** COPY text rows "i<TAB>row i", made as they are read, so a million rows need no buffer of their own. */
    private static final class CopyRows extends InputStream {
        private final int rows;
        private int next = 1;
        private byte[] line = new byte[0];
        private int at;

        CopyRows(int rows) {
            this.rows = rows;
        }

        @Override
        public int read() {
            if (at == line.length) {
                if (next > rows) {
                    return -1;
                }
                line = (next + "\trow " + next + "\n").getBytes(StandardCharsets.US_ASCII);
                next++;
                at = 0;
            }
            return line[at++];
        }

        @Override
        public int read(byte[] b, int off, int len) {
            int n = 0;
            while (n < len) {
                int c = read();
                if (c < 0) {
                    return n == 0 ? -1 : n;
                }
                b[off + n++] = (byte) c;
            }
            return n;
        }
    }

    private static final class LineCounter extends OutputStream {
        long lines;

        @Override
        public void write(int b) {
            if (b == '\n') {
                lines++;
            }
        }

        @Override
        public void write(byte[] b, int off, int len) {
            for (int i = off; i < off + len; i++) {
                if (b[i] == '\n') {
                    lines++;
                }
            }
        }
    }
}
