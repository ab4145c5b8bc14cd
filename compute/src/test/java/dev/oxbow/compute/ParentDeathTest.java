package dev.oxbow.compute;

import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * If the Oxbow JVM is killed with SIGKILL, its servers get the parent-death signal (SIGINT, set by
 * setpriv after switching to the postgres user) and shut down fast on their own.
 */
class ParentDeathTest {

    @Test
    void serversShutDownWhenOxbowIsKilled() throws Exception {
        Path root = TestPostgres.scratchDir();
        Path dataDir = root.resolve("k/pgdata");
        try (LocalComputeRuntime runtime = new LocalComputeRuntime(TestPostgres.binaries(), TestPostgres.identity())) {
            runtime.initdb("tenant-a", 17, dataDir, TestPostgres.SUPERUSER);
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process oxbow = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), ParentDeathChild.class.getName(),
                dataDir.toString(), root.resolve("sk").toString())
                .redirectError(root.resolve("child.err").toFile()).start();
        try {
            long pid;
            try (BufferedReader out = new BufferedReader(new InputStreamReader(oxbow.getInputStream(), StandardCharsets.UTF_8))) {
                String line = out.readLine();
                assertThat(line).as("child stderr: %s", Files.exists(root.resolve("child.err")) ? Files.readString(root.resolve("child.err")) : "")
                        .startsWith("started pid=");
                pid = Long.parseLong(line.substring("started pid=".length()));
                assertThat(OsProcesses.isRunning(pid)).isTrue();

                oxbow.destroyForcibly(); // SIGKILL: no shutdown hooks, no close()
                oxbow.waitFor();
            }
            assertThat(OsProcesses.await(() -> !OsProcesses.isRunning(pid), Duration.ofSeconds(15)))
                    .as("postgres exits after its parent was killed").isTrue();
            assertThat(OsProcesses.await(() -> OsProcesses.withWorkingDirectory(dataDir).isEmpty(), Duration.ofSeconds(5))).isTrue();
            assertThat(Files.readString(root.resolve("k/log/postgres.log"))).contains("received fast shutdown request");
        } finally {
            oxbow.destroyForcibly();
            TestPostgres.deleteTree(root);
        }
    }

    @Test
    void launchedCommandsCarryTheParentDeathSignal() throws Exception {
        List<String> wrapped = TestPostgres.identity().wrap(List.of("postgres"));
        assertThat(wrapped).containsSubsequence("--pdeathsig", "SIGINT", "--", "postgres");
    }
}
