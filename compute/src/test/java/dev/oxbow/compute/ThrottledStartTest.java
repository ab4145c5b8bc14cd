package dev.oxbow.compute;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** A start runs without the CPU quota and the quota is in force once the server accepts connections (needs writable cgroups). */
class ThrottledStartTest {
    private Path root;
    private Cgroups cgroups;
    private LocalComputeRuntime runtime;

    @BeforeEach
    void setUp() throws Exception {
        cgroups = Cgroups.detect();
        assumeTrue(cgroups.available(), "cgroups are not writable here");
        root = TestPostgres.scratchDir();
        runtime = new LocalComputeRuntime(TestPostgres.binaries(), ProcessIdentities.shared(TestPostgres.identity()),
                new RestartPolicy(1, Duration.ofSeconds(60)), cgroups);
    }

    @AfterEach
    void tearDown() throws Exception {
        if (runtime != null) {
            runtime.close();
            TestPostgres.deleteTree(root);
        }
    }

    @Test
    void theQuotaSetBeforeTheStartIsInForceOnceItServesAndItsProcessesAreInTheGroup() throws Exception {
        ComputeSpec spec = TestPostgres.spec("ep-throttled", 17, root, "t");
        runtime.initdb("tenant-t", 17, spec.dataDir(), TestPostgres.SUPERUSER);
        runtime.resize("ep-throttled", 512L << 20, 0.125);

        RunningCompute rc = runtime.start(spec);

        // the quota goes on just after the start returns, off the wake path
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!runtime.limits("ep-throttled").equals(java.util.Optional.of(new Cgroups.Limits(512L << 20, 0.125)))
                && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(runtime.limits("ep-throttled")).contains(new Cgroups.Limits(512L << 20, 0.125));
        List<String> procs = cgroups.dirs("ep-throttled").stream().map(d -> read(d.resolve("cgroup.procs"))).toList();
        assertThat(procs).allSatisfy(p -> assertThat(p.lines().toList()).contains(Long.toString(rc.pid())));
        try (Connection c = PgConnections.open(spec.socketDir(), "postgres", TestPostgres.SUPERUSER);
             ResultSet rs = c.createStatement().executeQuery("SELECT 1")) {
            assertThat(rs.next()).isTrue();
        }
    }

    @Test
    void aStartWithoutAnySizeLeavesItWithoutACpuQuota() throws Exception {
        ComputeSpec spec = TestPostgres.spec("ep-unsized", 17, root, "u");
        runtime.initdb("tenant-u", 17, spec.dataDir(), TestPostgres.SUPERUSER);

        runtime.start(spec);

        assertThat(runtime.limits("ep-unsized")).hasValueSatisfying(l -> assertThat(l.cpus()).isInfinite());
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
