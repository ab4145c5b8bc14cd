package dev.oxbow.cli;

import dev.oxbow.client.OxbowClient;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;

/**
 * What one run of the launcher reads from its process besides the arguments: the environment variables and whether
 * stderr is a terminal (for the spinner). The real launcher takes the process's; a test passes its own, so a run
 * in-process never sees the machine's OXBOW_TOKEN or DATABRICKS_HOST.
 */
public record CliEnvironment(Map<String, String> variables, boolean terminal, GlobalOptions options, PrintWriter log) {

    public CliEnvironment {
        variables = Map.copyOf(variables);
        options = options == null ? GlobalOptions.NONE : options;
        log = log == null ? new PrintWriter(System.err, true) : log;
    }

    public CliEnvironment(Map<String, String> variables, boolean terminal) {
        this(variables, terminal, GlobalOptions.NONE, null);
    }

    /** This environment under the root flags of one run, logging to {@code log} unless --log-file names a file. */
    CliEnvironment with(GlobalOptions options, PrintWriter log) {
        return new CliEnvironment(variables, terminal, options, log);
    }

    /** The launcher's own process: System.getenv() and its console. */
    static CliEnvironment ofProcess() {
        return new CliEnvironment(System.getenv(), terminalAttached());
    }

    /** The environment of the {@code oxbow} command line {@code spec} belongs to. */
    public static CliEnvironment of(CommandSpec spec) {
        if (spec.root().userObject() instanceof OxbowCommand oxbow) {
            return oxbow.environment().with(oxbow.globalOptions(), spec.root().commandLine().getErr());
        }
        // a subcommand used on its own (not under the launcher) has only the process to read
        return ofProcess();
    }

    /** The variable's value, or {@code fallback} when it is unset or blank. */
    public String get(String name, String fallback) {
        String v = variables.get(name);
        return v == null || v.isBlank() ? fallback : v;
    }

    /**
     * The API client for the server --profile or these variables name (see {@link OxbowClient#fromEnvironment(Map, String)}),
     * logging each call when a log level is set.
     */
    public OxbowClient client() {
        OxbowClient client = OxbowClient.fromEnvironment(variables, options.profile());
        return options.logLevel() == GlobalOptions.LogLevel.DISABLED ? client : client.withListener(new CliLog(options, () -> log));
    }

    /** The Oxbow data directory (OXBOW_HOME, default ~/.oxbow). */
    public Path home() {
        return OxbowClient.homeFromEnvironment(variables);
    }

    /** Whether to draw the progress spinner: stderr is a terminal and OXBOW_NO_SPINNER is unset. */
    public boolean spinner() {
        return terminal && !variables.containsKey("OXBOW_NO_SPINNER");
    }

    /** System.console() is null when stdin/stdout are redirected; Java 22+ also says whether it is a real terminal. */
    private static boolean terminalAttached() {
        var console = System.console();
        if (console == null) {
            return false;
        }
        try {
            return (Boolean) java.io.Console.class.getMethod("isTerminal").invoke(console);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return true;
        }
    }
}
