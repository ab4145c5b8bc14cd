package dev.oxbow.compute;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PostgresBinariesTest {

    @Test
    void unpacksBothVersionsOnceAndReusesThem() throws Exception {
        PostgresBinaries binaries = TestPostgres.binaries();
        for (int major : List.of(16, 17)) {
            Path bin = binaries.binDir(major);
            assertThat(bin).isEqualTo(TestPostgres.BINARIES.resolve(Integer.toString(major)).resolve("bin"));
            for (String tool : List.of("initdb", "postgres", "pg_ctl")) {
                assertThat(Files.isExecutable(bin.resolve(tool))).as(tool).isTrue();
            }
            FileTime unpackedAt = Files.getLastModifiedTime(bin.resolveSibling(PostgresBinaries.MARKER));
            // a new instance (as after an Oxbow restart) finds the marker and does not unpack again
            assertThat(TestPostgres.binaries().binDir(major)).isEqualTo(bin);
            assertThat(Files.getLastModifiedTime(bin.resolveSibling(PostgresBinaries.MARKER))).isEqualTo(unpackedAt);
            assertThat(runAsPostgresUser(bin.resolve("postgres"), "--version")).contains("(PostgreSQL) " + major + ".");
        }
    }

    @Test
    void rejectsUnbundledVersions() throws Exception {
        PostgresBinaries binaries = TestPostgres.binaries();
        assertThatThrownBy(() -> binaries.binDir(15)).isInstanceOf(ComputeException.class).hasMessageContaining("PostgreSQL 15")
                .hasMessageContaining("[16, 17]");
        assertThatThrownBy(() -> binaries.binDir(18)).isInstanceOf(ComputeException.class);
    }

    @Test
    void racingUnpacksIntoAFreshRootAgree() throws Exception {
        Path root = TestPostgres.scratchDir().resolve("pg");
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            // two instances stand for two processes: no shared lock, only the atomic rename
            Callable<Path> unpack = () -> new PostgresBinaries(root, TestPostgres.identity()).binDir(16);
            Future<Path> a = pool.submit(unpack);
            Future<Path> b = pool.submit(unpack);
            assertThat(a.get()).isEqualTo(b.get()).isEqualTo(root.resolve("16/bin"));
            try (var entries = Files.list(root)) {
                assertThat(entries.map(p -> p.getFileName().toString()).toList()).containsExactly("16");
            }
            assertThat(runAsPostgresUser(a.get().resolve("initdb"), "--version")).contains("16.");
        } finally {
            pool.shutdownNow();
            TestPostgres.deleteTree(root.getParent());
        }
    }

    private static String runAsPostgresUser(Path tool, String arg) throws Exception {
        Process p = new ProcessBuilder(TestPostgres.identity().wrap(List.of(tool.toString(), arg))).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
        return out;
    }
}
