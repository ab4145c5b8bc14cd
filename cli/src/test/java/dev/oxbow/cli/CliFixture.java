package dev.oxbow.cli;

import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Running the launcher: {@link #oxbow} in-process (picocli with captured writers and the given environment only) for
 * what the commands do, {@link #subprocess} as a child JVM for the few tests that need a real process.
 */
final class CliFixture {
    private CliFixture() {}

    /** One run of the launcher: exit code, stdout and stderr. */
    record Run(int exit, String stdout, String stderr) {
        /** Both streams, stdout first, for checks that do not care where a message went. */
        String output() {
            return Stream.of(stdout, stderr).filter(s -> !s.isEmpty()).collect(Collectors.joining("\n"));
        }
    }

    /** Runs {@code oxbow args…} in this JVM with exactly {@code env} as its environment (nothing inherited from the machine). */
    static Run oxbow(Map<String, String> env, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine oxbow = OxbowCommand.commandLine(new CliEnvironment(env, false));
        oxbow.setOut(new PrintWriter(out, true));
        oxbow.setErr(new PrintWriter(err, true));
        int exit = oxbow.execute(args);
        return new Run(exit, out.toString().strip(), err.toString().strip());
    }

    /** The command line running {@code oxbow args…} from the test classpath with the JVM running the tests. */
    static List<String> command(String... args) {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"), OxbowCommand.class.getName()));
        command.addAll(List.of(args));
        return command;
    }

    /** Runs {@code oxbow args…} as a child JVM with only {@code env} naming the server (no token or host inherited from the machine). */
    static Run subprocess(Map<String, String> env, String... args) throws Exception {
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

    /** JVM warnings and log lines left out. */
    private static String withoutNoise(String text) {
        return text.lines().filter(l -> !l.startsWith("WARNING") && !l.contains(" INFO ")).collect(Collectors.joining("\n")).strip();
    }
}
