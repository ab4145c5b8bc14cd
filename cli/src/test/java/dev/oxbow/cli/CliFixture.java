package dev.oxbow.cli;

import dev.oxbow.server.OxbowServer;
import dev.oxbow.server.ServerConfig;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** What the CLI's subprocess tests share: a real server on a fresh home under /tmp, and the launcher run as a child JVM. */
final class CliFixture {
    private CliFixture() {}

    /**
     * A fresh server home under the temp dir (Postgres runs unprivileged and must reach it), removed at
     * JVM exit; the tests close their servers before that.
     */
    static Path home(String prefix) throws IOException {
        Path home = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), prefix);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try (Stream<Path> walk = Files.walk(home)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException | RuntimeException ignored) {
                // best effort: a leftover under /tmp is harmless
            }
        }));
        return home;
    }

    /** A real server on free ports, sharing the tests' Postgres binaries; {@code catalogs} serve Delta tables for synced tables. */
    static OxbowServer start(Path home, Map<String, Path> catalogs) throws Exception {
        Path pg = Path.of(System.getProperty("java.io.tmpdir"), "oxbow-test-pg");
        return OxbowServer.start(ServerConfig.defaults(home).withApiPort(0).withPg("127.0.0.1", 0).withPgBinaries(pg).withCatalogs(catalogs));
    }

    /** The directory of the catalog "lake" under {@code home}. */
    static Path lake(Path home) {
        return home.resolve("lake");
    }

    /** A real server whose catalog "lake" serves the Delta tables under {@link #lake(Path)}. */
    static OxbowServer startWithLake(Path home) throws Exception {
        return start(home, Map.of("lake", lake(home)));
    }

    /** The command line running {@code oxbow args…} from the test classpath with the JVM running the tests. */
    static List<String> command(String... args) {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"), OxbowCommand.class.getName()));
        command.addAll(List.of(args));
        return command;
    }

    /** One run of the launcher: exit code, stdout and stderr (JVM warnings and log lines left out). */
    record Run(int exit, String stdout, String stderr) {
        /** Both streams, stdout first, for checks that do not care where a message went. */
        String output() {
            return Stream.of(stdout, stderr).filter(s -> !s.isEmpty()).collect(Collectors.joining("\n"));
        }
    }

    /** Runs {@code oxbow args…} with only {@code env} naming the server (no token or host inherited from the machine). */
    static Run oxbow(Map<String, String> env, String... args) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command(args));
        pb.environment().remove("OXBOW_TOKEN");
        pb.environment().remove("DATABRICKS_TOKEN");
        pb.environment().remove("DATABRICKS_HOST");
        pb.environment().putAll(env);
        Process p = pb.start();
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getErrorStream().readAllBytes());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), withoutNoise(out), withoutNoise(err.get()));
    }

    private static String withoutNoise(String text) {
        return text.lines().filter(l -> !l.startsWith("WARNING") && !l.contains(" INFO ")).collect(Collectors.joining("\n")).strip();
    }
}
