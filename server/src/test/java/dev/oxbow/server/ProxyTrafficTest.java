package dev.oxbow.server;

import com.databricks.sdk.WorkspaceClient;
import com.databricks.sdk.service.postgres.CreateProjectRequest;
import com.databricks.sdk.service.postgres.GenerateDatabaseCredentialRequest;
import com.databricks.sdk.service.postgres.Project;
import dev.oxbow.proxy.LoginLimits;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.copy.CopyManager;
import org.postgresql.util.PSQLException;

import java.io.InputStream;
import java.io.Reader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Heavy traffic through the real proxy (TLS, pgjdbc, a real compute): uploads far beyond the relay's write buffer,
 * clients that vanish mid-upload, cancel requests, and floods of connections that never log in.
 */
// a separate thread: a stalled upload blocks in a socket write that no interrupt ends
@Timeout(value = 300, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ProxyTrafficTest {
    @org.junit.jupiter.api.extension.RegisterExtension
    static final TestHomes homes = new TestHomes();
    static final Duration LOGIN_TIMEOUT = Duration.ofSeconds(5);
    static TestServer t;
    static WorkspaceClient w;
    static final String EP = "projects/haul/branches/production/endpoints/primary";
    static final String USER = "admin@oxbow.local";
    static String uid;

    @BeforeAll
    static void start() throws Exception {
        t = TestServer.start(TestServer.config(homes.newHome("traffic"))
                .withLoginLimits(LoginLimits.defaults().withTimeout(LOGIN_TIMEOUT)));
        w = t.sdk();
        w.postgres().createProject(new CreateProjectRequest().setProjectId("haul").setProject(new Project())).waitForCompletion();
        uid = w.postgres().getEndpoint(EP).getUid();
    }

    @AfterAll
    static void stop() {
        t.close();
    }

    static Connection connect(String localAddress) throws SQLException {
        String token = w.postgres().generateDatabaseCredential(new GenerateDatabaseCredentialRequest().setEndpoint(EP)).getToken();
        Properties p = new Properties();
        p.setProperty("user", USER);
        p.setProperty("password", token);
        p.setProperty("sslmode", "require");
        p.setProperty("options", "endpoint=" + uid);
        p.setProperty("connectTimeout", "30");
        p.setProperty("socketTimeout", "120"); // a stall fails the test instead of hanging it
        p.setProperty("localSocketAddress", localAddress);
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + t.server().pgPort() + "/databricks_postgres", p);
    }

    static Connection connect() throws SQLException {
        return connect("127.0.0.1");
    }

    static long count(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    void copyFromStdinOfFiftyThousandRows() throws Exception {
        try (Connection c = connect()) {
            c.createStatement().execute("CREATE TABLE haul_rows (id int, payload text)");
            String payload = "p".repeat(100);
            Reader rows = new Reader() {
                int next;
                String pending = "";

                @Override
                public int read(char[] buf, int off, int len) {
                    while (pending.isEmpty()) {
                        if (next == 50_000) {
                            return -1;
                        }
                        pending = next++ + "\t" + payload + "\n";
                    }
                    int n = Math.min(len, pending.length());
                    pending.getChars(0, n, buf, off);
                    pending = pending.substring(n);
                    return n;
                }

                @Override
                public void close() {}
            };
            long copied = new CopyManager(c.unwrap(org.postgresql.core.BaseConnection.class)).copyIn("COPY haul_rows FROM STDIN", rows);
            assertThat(copied).isEqualTo(50_000);
            assertThat(count(c, "SELECT count(*) FROM haul_rows")).isEqualTo(50_000);
            assertThat(count(c, "SELECT sum(length(payload)) FROM haul_rows")).isEqualTo(5_000_000);
        }
    }

    @Test
    void aMegabyteByteaParameterAndTwentyMegabyteLiteralGoUpAndResultsComeDown() throws Exception {
        byte[] blob = new byte[1 << 20];
        new Random(7).nextBytes(blob);
        try (Connection c = connect()) {
            try (PreparedStatement ps = c.prepareStatement("SELECT length(b), md5(b) FROM (SELECT ?::bytea AS b) s")) {
                ps.setBytes(1, blob);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    assertThat(rs.getInt(1)).isEqualTo(blob.length);
                    assertThat(rs.getString(2)).isEqualTo(HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(blob)));
                }
            }
            int literal = 20 << 20;
            assertThat(count(c, "SELECT length('" + "x".repeat(literal) + "')")).isEqualTo(literal);
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT repeat('y', " + literal + ")")) {
                rs.next();
                assertThat(rs.getString(1)).hasSize(literal);
            }
        }
    }

    @Test
    void aClientThatVanishesMidCopyEndsItsBackend() throws Exception {
        try (Connection watcher = connect(); Connection leaver = connect()) {
            watcher.createStatement().execute("CREATE TABLE haul_gone (line text)");
            int pid = leaver.unwrap(PGConnection.class).getBackendPID();
            CopyIn copy = new CopyManager(leaver.unwrap(org.postgresql.core.BaseConnection.class)).copyIn("COPY haul_gone FROM STDIN");
            byte[] line = ("z".repeat(999) + "\n").getBytes(StandardCharsets.US_ASCII);
            for (int i = 0; i < 2_000; i++) {
                copy.writeToCopy(line, 0, line.length);
            }
            copy.flushCopy();
            String copying = "SELECT count(*) FROM pg_stat_activity WHERE pid = " + pid + " AND query LIKE 'COPY haul_gone%'";
            assertThat(count(watcher, copying)).as("the upload is under way").isEqualTo(1);
            // gone without a Terminate message, as a killed process goes (Connection.abort needs a SecurityManager)
            leaver.unwrap(org.postgresql.core.BaseConnection.class).getQueryExecutor().abort();
            ReaperTest.awaitTrue(() -> count(watcher, "SELECT count(*) FROM pg_stat_activity WHERE pid = " + pid) == 0);
            assertThat(count(watcher, "SELECT count(*) FROM haul_gone")).as("the unfinished COPY was rolled back").isZero();
        }
    }

    @Test
    void cancelRequestsReachTheRightBackendThroughTheProxy() throws Exception {
        try (Connection c = connect(); Connection watcher = connect()) {
            int pid = c.unwrap(PGConnection.class).getBackendPID();
            assertThat(count(c, "SELECT pg_backend_pid()")).as("the proxy keeps the compute's pid").isEqualTo(pid);
            Statement sleeping = c.createStatement();
            CompletableFuture<Void> run = CompletableFuture.runAsync(() -> {
                try {
                    sleeping.execute("SELECT pg_sleep(120)");
                } catch (SQLException e) {
                    throw new java.util.concurrent.CompletionException(e);
                }
            });
            ReaperTest.awaitTrue(() -> count(watcher, "SELECT count(*) FROM pg_stat_activity WHERE pid = " + pid
                    + " AND wait_event = 'PgSleep'") == 1);
            sleeping.cancel();
            assertThatThrownBy(run::join).hasCauseInstanceOf(PSQLException.class)
                    .satisfies(e -> assertThat(((PSQLException) e.getCause()).getSQLState()).isEqualTo("57014"));
            assertThat(count(c, "SELECT 1")).as("the connection stays usable").isEqualTo(1);
        }
    }

    @Test
    void silentConnectionsAreCappedAndClosedAtTheLoginTimeoutWithoutStoppingLogins() throws Exception {
        // 100 may wait per address: each newer one pushes out the oldest, so a flood holds at most 100 sockets
        List<Socket> silent = new ArrayList<>();
        try {
            for (int i = 0; i < 2_000; i++) {
                Socket s = new Socket();
                s.connect(new InetSocketAddress("127.0.0.1", t.server().pgPort()), 10_000);
                silent.add(s);
            }
            // while they are open, clients log in as usual: from another address, and from the flooding one
            try (Connection c = connect("127.0.0.2"); Connection d = connect("127.0.0.1")) {
                assertThat(count(c, "SELECT 1")).isEqualTo(1);
                assertThat(count(d, "SELECT 1")).isEqualTo(1);
            }
            int pushedOut = 0;
            int closedSilently = 0;
            for (Socket s : silent) {
                s.setSoTimeout((int) LOGIN_TIMEOUT.multipliedBy(6).toMillis()); // far beyond the timeout: a hang fails
                byte[] reply = readToEnd(s.getInputStream());
                String text = new String(reply, StandardCharsets.UTF_8);
                if (text.contains("53300")) {
                    assertThat(text).contains("too many connections from this address are waiting to log in");
                    pushedOut++;
                } else {
                    assertThat(reply).as("a silent connection is closed with nothing said").isEmpty();
                    closedSilently++;
                }
            }
            assertThat(pushedOut).as("pushed out beyond the per-address cap of 100").isPositive();
            // the last 100 waited until the timeout, but one that made room for the login from 127.0.0.1
            assertThat(closedSilently).as("closed at the login timeout").isGreaterThanOrEqualTo(99);
        } finally {
            for (Socket s : silent) {
                s.close();
            }
        }
        // every slot came back: the flooded address logs in again
        try (Connection c = connect("127.0.0.1")) {
            assertThat(count(c, "SELECT 1")).isEqualTo(1);
        }
    }

    private static byte[] readToEnd(InputStream in) throws java.io.IOException {
        try {
            return in.readAllBytes();
        } catch (java.net.SocketException reset) {
            return new byte[0];
        }
    }

    /**
     * Bytes the stress test moves each way: 256 MiB by default so the README's test command stays quick; CI passes
     * {@code -Doxbow.stress.bytes} for gigabytes (1 GiB each way took 73 s here on a loaded machine).
     */
    static final long STRESS_BYTES = Long.getLong("oxbow.stress.bytes", 256L << 20);

    /**
     * Gigabytes both ways through TLS with random message sizes and random pauses on either side: the client writes COPY
     * data in chunks of 1 B to 256 KB and now and then stops writing; the server's rows are read in chunks the same way and
     * the reader now and then stops reading, so each direction's back-pressure pauses and resumes many times ({@link Stalls}). The upload is
     * parsed and discarded by the server ({@code WHERE false}) so nothing is stored; every byte down is counted.
     */
    @Test
    @Timeout(value = 900, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void gigabytesBothWaysWithRandomSizesAndPausesNeverStall() throws Exception {
        Random random = new Random(42);
        Stalls writer = new Stalls(random);
        Stalls reader = new Stalls(random);
        try (Connection c = connect()) {
            CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
            try (Statement st = c.createStatement()) {
                st.execute("CREATE TEMP TABLE sink (line text)");
            }
            byte[] line = ("x".repeat(1023) + "\n").getBytes(StandardCharsets.US_ASCII);
            long lines = STRESS_BYTES / line.length;
            InputStream up = new InputStream() {
                long sent;

                @Override
                public int read() {
                    byte[] one = new byte[1];
                    return read(one, 0, 1) < 0 ? -1 : one[0];
                }

                @Override
                public int read(byte[] b, int off, int len) {
                    long total = lines * line.length;
                    if (sent >= total) {
                        return -1;
                    }
                    int n = (int) Math.min(Math.min(len, 1 + random.nextInt(256 * 1024)), total - sent);
                    writer.moved(n);
                    for (int i = 0; i < n; i++) {
                        b[off + i] = line[(int) ((sent + i) % line.length)];
                    }
                    sent += n;
                    return n;
                }
            };
            assertThat(copy.copyIn("COPY sink FROM STDIN WHERE false", up, 256 * 1024)).isZero();

            long[] received = {0};
            java.io.OutputStream down = new java.io.OutputStream() {
                @Override
                public void write(int b) {
                    received[0]++;
                }

                @Override
                public void write(byte[] b, int off, int len) {
                    reader.moved(len);
                    received[0] += len;
                }
            };
            long rows = copy.copyOut("COPY (SELECT repeat('y', 1023) FROM generate_series(1, " + lines + ")) TO STDOUT", down);
            assertThat(rows).isEqualTo(lines);
            assertThat(received[0]).isEqualTo(lines * line.length);
            // the session is still in step afterwards
            assertThat(count(c, "SELECT 42")).isEqualTo(42);
        }
    }

    /**
     * One side's stops, by bytes moved: after every 8–24 MB a 30–80 ms stall, long enough for the socket buffers and the
     * proxy's on the way to fill, so back-pressure engages and must release each time (16 stalls a direction for the
     * default 256 MiB, 128 for CI's 2 GiB; about 14 s of sleep in all there). It used to be 1–20 ms every 200 reads,
     * which for the download (one read a 1 KB row) slept 110 s of CI's 2 GiB away in 10,000 short stalls.
     */
    private static final class Stalls {
        private final Random random;
        private long untilStall;

        Stalls(Random random) {
            this.random = random;
            this.untilStall = next();
        }

        void moved(int bytes) {
            untilStall -= bytes;
            if (untilStall > 0) {
                return;
            }
            untilStall = next();
            try {
                Thread.sleep(30 + random.nextInt(51));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        private long next() {
            return (8L << 20) + random.nextInt(16 << 20);
        }
    }
}
