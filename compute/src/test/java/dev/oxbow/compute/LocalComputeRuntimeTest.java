package dev.oxbow.compute;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LocalComputeRuntimeTest {
    private Path root;
    private ProcessIdentity identity;
    private LocalComputeRuntime runtime;
    private final RecordingListener listener = new RecordingListener();

    @BeforeEach
    void setUp() throws Exception {
        root = TestPostgres.scratchDir();
        identity = TestPostgres.identity();
        runtime = new LocalComputeRuntime(TestPostgres.binaries(), identity, new RestartPolicy(1, Duration.ofSeconds(60)));
        runtime.setListener(listener);
    }

    @AfterEach
    void tearDown() throws Exception {
        runtime.close();
        TestPostgres.deleteTree(root);
    }

    @Test
    void servesQueriesOnAPrivateSocketOnly() throws Exception {
        ComputeSpec spec = new ComputeSpec("ep-a", "tenant-a", 17, root.resolve("a/pgdata"), root.resolve("sa"),
                Map.of("work_mem", "7MB", "application_name", "it's \\ quoted", "listen_addresses", "*", "huge_pages", "on"));
        runtime.initdb("tenant-a", 17, spec.dataDir(), TestPostgres.SUPERUSER);
        HugePages poolBefore = HugePages.read().orElse(new HugePages(0, 0, 0, 2048));
        RunningCompute rc = runtime.start(spec);

        assertThat(rc.pid()).isEqualTo(PostmasterPid.read(spec.dataDir()).orElseThrow().pid());
        assertThat(runtime.find("ep-a")).contains(rc);
        assertThat(ProcessHandle.of(rc.pid()).flatMap(ProcessHandle::parent).map(ProcessHandle::pid))
                .as("oxbow is the direct parent").contains(ProcessHandle.current().pid());
        try (Connection c = PgConnections.open(spec.socketDir(), "postgres", TestPostgres.SUPERUSER)) {
            assertThat(query(c, "SELECT version()")).startsWith("PostgreSQL 17.");
            assertThat(query(c, "SHOW listen_addresses")).isEmpty();
            assertThat(query(c, "SHOW port")).isEqualTo("5432");
            assertThat(query(c, "SHOW work_mem")).isEqualTo("7MB");
            assertThat(query(c, "SHOW application_name")).isEqualTo("oxbow"); // the client's value wins over the server default
            assertThat(query(c, "SELECT reset_val FROM pg_settings WHERE name = 'application_name'")).isEqualTo("it's \\ quoted");
            assertThat(query(c, "SHOW data_checksums")).isEqualTo("on");
            assertThat(query(c, "SHOW unix_socket_permissions")).isEqualTo("0700");
            // "on" would fail the start once the pool runs out; Oxbow's "try" wins over a spec's value
            assertThat(query(c, "SHOW huge_pages")).isEqualTo("try");
            long pagesNeeded = Long.parseLong(query(c, "SHOW shared_memory_size_in_huge_pages"));
            String status = query(c, "SHOW huge_pages_status");
            if (poolBefore.total() == 0) {
                assertThat(status).as("no pool: normal pages").isEqualTo("off");
            } else if (poolBefore.available() >= pagesNeeded + 32) { // a margin for other tests' computes starting meanwhile
                assertThat(status).as("enough huge pages were free: " + poolBefore).isEqualTo("on");
            }
        }
        assertThat(listeningTcpPorts(rc.pid())).isEmpty();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(spec.socketDir()))).isEqualTo("rwx------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(spec.dataDir()))).isEqualTo("rwx------");
        if (identity.root()) {
            assertThat(Files.getOwner(spec.socketDir()).getName()).isEqualTo("postgres");
            assertThat(Files.getOwner(spec.dataDir()).getName()).isEqualTo("postgres");
            assertThat(uidOf(rc.pid())).isEqualTo(Integer.parseInt(id("-u")));
        }
        assertThat(Files.readString(spec.logFile())).contains("database system is ready to accept connections");
        assertThat(spec.logFile()).isEqualTo(root.resolve("a/log/postgres.log"));
    }

    @Test
    void stopLeavesNoProcessAndIsNoCrash() throws Exception {
        ComputeSpec spec = TestPostgres.spec("ep-b", 17, root, "b");
        runtime.initdb("tenant-a", 17, spec.dataDir(), TestPostgres.SUPERUSER);
        long pid = runtime.start(spec).pid();
        Connection idle = PgConnections.open(spec.socketDir(), "postgres", TestPostgres.SUPERUSER);
        runtime.stop("ep-b");
        // an open session must not hold up the fast shutdown (a smart one would wait for it, and the stop would end in an
        // immediate one): said by the server's log rather than by a stopwatch, which a loaded machine fails
        assertThat(Files.readString(spec.logFile())).contains("received fast shutdown request", "database system is shut down")
                .doesNotContain("immediate shutdown request");
        assertThat(idle.isValid(1)).isFalse();
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive)).isNotEqualTo(java.util.Optional.of(true));
        assertThat(OsProcesses.withWorkingDirectory(spec.dataDir())).isEmpty();
        assertThat(runtime.find("ep-b")).isEmpty();
        assertThat(Files.exists(spec.dataDir().resolve("postmaster.pid"))).isFalse();
        runtime.stop("ep-b");
        Thread.sleep(200);
        assertThat(listener.events).isEmpty();

        // started again with more shared memory than the whole huge-page pool holds: huge_pages=try falls back
        // (mapped, not touched; a pool beyond 4 GB would make that mapping too large to be sure of, so then the plain start)
        HugePages pool = HugePages.read().orElse(new HugePages(0, 0, 0, 2048));
        long sharedBuffersMb = pool.total() * pool.pageKb() / 1024 + 64;
        boolean overflow = sharedBuffersMb <= 4096;
        ComputeSpec bigger = new ComputeSpec(spec.endpointUid(), spec.tenant(), 17, spec.dataDir(), spec.socketDir(),
                Map.of("shared_buffers", sharedBuffersMb + "MB"));
        long again = runtime.start(overflow ? bigger : spec).pid();
        assertThat(again).isNotEqualTo(pid);
        assertThat(runtime.start(spec).pid()).as("start is idempotent").isEqualTo(again);
        if (overflow) {
            try (Connection c = PgConnections.open(spec.socketDir(), "postgres", TestPostgres.SUPERUSER)) {
                assertThat(query(c, "SELECT setting::bigint * 8 / 1024 FROM pg_settings WHERE name = 'shared_buffers'"))
                        .isEqualTo(Long.toString(sharedBuffersMb));
                assertThat(query(c, "SHOW huge_pages_status")).as("too few huge pages: normal pages, and the start succeeds").isEqualTo("off");
            }
        }
    }

    @Test
    void crashedServerIsRestartedThenDegraded() throws Exception {
        ComputeSpec spec = TestPostgres.spec("ep-c", 17, root, "c");
        runtime.initdb("tenant-a", 17, spec.dataDir(), TestPostgres.SUPERUSER);
        long first = runtime.start(spec).pid();

        OsProcesses.signal(first, "KILL");
        assertThat(listener.next()).isEqualTo("restarted ep-c 137 1");
        RunningCompute restarted = runtime.find("ep-c").orElseThrow();
        assertThat(restarted.pid()).isNotEqualTo(first);
        try (Connection c = PgConnections.open(spec.socketDir(), "postgres", TestPostgres.SUPERUSER)) {
            assertThat(query(c, "SELECT 1")).isEqualTo("1");
        }

        // the policy allows one crash per minute: the second one gives up
        OsProcesses.signal(restarted.pid(), "KILL");
        assertThat(listener.next()).startsWith("degraded ep-c postgres crashed 2 times within 60 s");
        assertThat(runtime.find("ep-c")).isEmpty();
        assertThat(OsProcesses.await(() -> OsProcesses.withWorkingDirectory(spec.dataDir()).isEmpty(), Duration.ofSeconds(60))).isTrue();

        // a degraded endpoint can be started again by hand
        assertThat(runtime.start(spec).pid()).isPositive();
    }

    @Test
    void stopOrphanStopsAServerThisRuntimeDidNotStart() throws Exception {
        ComputeSpec spec = TestPostgres.spec("ep-d", 17, root, "d");
        runtime.initdb("tenant-a", 17, spec.dataDir(), TestPostgres.SUPERUSER);
        Process orphan = startOutsideRuntime(spec);
        assertThat(OsProcesses.await(() -> PostmasterPid.read(spec.dataDir()).map(PostmasterPid::ready).orElse(false),
                Duration.ofSeconds(60))).isTrue();

        runtime.stopOrphan(spec.dataDir());
        assertThat(orphan.waitFor(60, TimeUnit.SECONDS)).isTrue(); // deadlines are bounds for a loaded machine, not speeds
        assertThat(OsProcesses.withWorkingDirectory(spec.dataDir())).isEmpty();

        // start() does the same on its own
        Process another = startOutsideRuntime(spec);
        assertThat(OsProcesses.await(() -> PostmasterPid.read(spec.dataDir()).map(p -> p.pid() == another.pid() && p.ready()).orElse(false),
                Duration.ofSeconds(60))).isTrue();
        RunningCompute rc = runtime.start(spec);
        assertThat(another.isAlive()).isFalse();
        assertThat(rc.pid()).isNotEqualTo(another.pid());
        runtime.stopOrphan(spec.dataDir()); // ours: left alone
        assertThat(runtime.find("ep-d")).isPresent();
        assertThat(OsProcesses.isPostgres(rc.pid())).isTrue();

        // someone looking at the configuration from inside the data directory is not a postgres process
        Process bystander = new ProcessBuilder("sh", "-c", "sleep 30", "vi-postgresql.conf").directory(spec.dataDir().toFile()).start();
        try {
            assertThat(OsProcesses.isPostgres(bystander.pid())).isFalse();
            runtime.stop("ep-d");
            runtime.start(spec);
            assertThat(bystander.isAlive()).isTrue();
        } finally {
            bystander.destroyForcibly();
        }
    }

    @Test
    void rejectsBadSpecsWithClearMessages() throws Exception {
        ComputeSpec spec = TestPostgres.spec("ep-e", 17, root, "e");
        runtime.initdb("tenant-a", 17, spec.dataDir(), TestPostgres.SUPERUSER);
        assertThatThrownBy(() -> runtime.initdb("tenant-a", 17, spec.dataDir(), TestPostgres.SUPERUSER)).hasMessageContaining("not empty");

        Path longDir = root.resolve("x".repeat(100));
        assertThatThrownBy(() -> runtime.start(new ComputeSpec("ep-e", "tenant-a", 17, spec.dataDir(), longDir, Map.of())))
                .isInstanceOf(ComputeException.class).hasMessageContaining("limited to 107");
        assertThatThrownBy(() -> runtime.start(new ComputeSpec("ep-e", "tenant-a", 16, spec.dataDir(), spec.socketDir(), Map.of())))
                .isInstanceOf(ComputeException.class).hasMessageContaining("holds a PostgreSQL 17 cluster");
        assertThatThrownBy(() -> runtime.start(new ComputeSpec("ep-e", "tenant-a", 17, spec.dataDir(), spec.socketDir(), Map.of("bad name", "1"))))
                .isInstanceOf(ComputeException.class).hasMessageContaining("invalid setting name");
        assertThatThrownBy(() -> runtime.start(new ComputeSpec("ep-e", "tenant-a", 17, spec.dataDir(), spec.socketDir(), Map.of("shared_buffers", "lots"))))
                .isInstanceOf(ComputeException.class).hasMessageContaining("exited during start").hasMessageContaining("shared_buffers");
        assertThatThrownBy(() -> runtime.start(new ComputeSpec("ep-e", "tenant-a", 17, root.resolve("missing"), spec.socketDir(), Map.of())))
                .isInstanceOf(ComputeException.class).hasMessageContaining("does not exist");

        runtime.start(spec);
        assertThatThrownBy(() -> runtime.start(new ComputeSpec("ep-other", "tenant-a", 17, spec.dataDir(), root.resolve("so"), Map.of())))
                .isInstanceOf(ComputeException.class).hasMessageContaining("endpoint ep-e already serves");
    }

    @Test
    void runsPostgres16() throws Exception {
        ComputeSpec spec = TestPostgres.spec("ep-16", 16, root, "p16");
        runtime.initdb("tenant-a", 16, spec.dataDir(), TestPostgres.SUPERUSER);
        RunningCompute rc = runtime.start(spec);
        try (Connection c = PgConnections.open(spec.socketDir(), "postgres", TestPostgres.SUPERUSER)) {
            assertThat(query(c, "SELECT version()")).startsWith("PostgreSQL 16.");
            assertThat(query(c, "SHOW server_version_num")).startsWith("16");
        }
        runtime.stop("ep-16");
        assertThat(OsProcesses.isRunning(rc.pid())).isFalse();
    }

    @Test
    void closeStopsEveryServer() throws Exception {
        List<Long> pids = new ArrayList<>();
        for (String name : List.of("f1", "f2")) {
            ComputeSpec spec = TestPostgres.spec("ep-" + name, 17, root, name);
            runtime.initdb("tenant-a", 17, spec.dataDir(), TestPostgres.SUPERUSER);
            pids.add(runtime.start(spec).pid());
        }
        runtime.close();
        for (long pid : pids) {
            assertThat(OsProcesses.isRunning(pid)).isFalse();
        }
        assertThatThrownBy(() -> runtime.start(TestPostgres.spec("ep-f1", 17, root, "f1"))).hasMessageContaining("closed");
        assertThat(listener.events).isEmpty();
    }

    /** A postgres started like an earlier Oxbow would have, but without the parent-death signal. */
    private Process startOutsideRuntime(ComputeSpec spec) throws Exception {
        Files.createDirectories(spec.socketDir());
        identity.privateDir(spec.socketDir());
        Path bin = TestPostgres.binaries().binDir(17);
        List<String> command = new ArrayList<>();
        if (identity.root()) {
            command.addAll(List.of("setpriv", "--reuid=" + id("-u"), "--regid=" + id("-g"), "--clear-groups"));
        }
        command.addAll(List.of(bin.resolve("postgres").toString(), "-D", spec.dataDir().toString(), "-c", "listen_addresses=",
                "-c", "unix_socket_directories=" + spec.socketDir()));
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(new File("/dev/null")).start();
    }

    private static String id(String flag) throws Exception {
        Process p = new ProcessBuilder("id", flag, "postgres").start();
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    }

    static String query(Connection c, String sql) throws Exception {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static int uidOf(long pid) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith("Uid:")) {
                return Integer.parseInt(line.substring(4).trim().split("\\s+")[0]);
            }
        }
        throw new AssertionError("no Uid line");
    }

    /** Local TCP ports the process listens on, according to ss. */
    private static List<String> listeningTcpPorts(long pid) throws Exception {
        Process p = new ProcessBuilder("ss", "-ltnpH").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        return out.lines().filter(l -> l.contains("pid=" + pid + ",")).toList();
    }
}
