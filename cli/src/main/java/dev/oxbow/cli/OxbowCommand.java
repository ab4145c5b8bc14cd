package dev.oxbow.cli;

import dev.oxbow.cli.postgres.PostgresCommands;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

import java.nio.file.Path;

/** {@code oxbow}: the single launcher for the server and the client commands (postgres, psql, mcp, identity). */
@Command(name = "oxbow", mixinStandardHelpOptions = true, version = "oxbow 0.1.0",
        description = "Self-hosted serverless PostgreSQL with a Databricks Lakebase compatible API.",
        subcommands = {ServerCommand.class, PostgresCommands.class, PsqlCommand.class, McpCommand.class, CompletionCommand.class, IdentityCommands.Users.class, IdentityCommands.ServicePrincipals.class,
                IdentityCommands.Groups.class, IdentityCommands.Tokens.class, IdentityCommands.Permissions.class, CommandLine.HelpCommand.class})
public final class OxbowCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    private final CliEnvironment environment;

    // the Databricks CLI's root flags, accepted before or after any subcommand (picocli sets these fields for both)
    @Option(names = {"-p", "--profile"}, scope = ScopeType.INHERIT, paramLabel = "NAME",
            description = "Profile of ~/.databrickscfg (or DATABRICKS_CONFIG_FILE) whose host and token to use.")
    String profile;

    @Option(names = {"-t", "--target"}, scope = ScopeType.INHERIT, paramLabel = "TARGET",
            description = "Bundle target. Oxbow has no bundles, so, as the Databricks CLI outside a bundle, it changes nothing.")
    String target;

    @Option(names = "--debug", scope = ScopeType.INHERIT, description = "Log each API call on stderr (--log-level debug).")
    boolean debug;

    @Option(names = "--log-level", scope = ScopeType.INHERIT, hidden = true, paramLabel = "LEVEL",
            description = "trace, debug, info, warn, error or disabled (default).")
    GlobalOptions.LogLevel logLevel;

    @Option(names = "--log-file", scope = ScopeType.INHERIT, hidden = true, paramLabel = "FILE",
            description = "Where the log goes: a file, or stderr (default).")
    String logFile;

    @Option(names = "--log-format", scope = ScopeType.INHERIT, hidden = true, paramLabel = "FORMAT",
            description = "text (default) or json.")
    GlobalOptions.LogFormat logFormat;

    private OxbowCommand(CliEnvironment environment) {
        this.environment = environment;
    }

    /** What this run reads besides its arguments; every subcommand asks through {@link CliEnvironment#of}. */
    CliEnvironment environment() {
        return environment;
    }

    /** The root flags of this run (picocli has already refused an unknown level or format, naming the flag). */
    GlobalOptions globalOptions() {
        GlobalOptions.LogLevel level = logLevel != null ? logLevel : debug ? GlobalOptions.LogLevel.DEBUG : GlobalOptions.LogLevel.DISABLED;
        Path file = logFile == null || logFile.equals("stderr") ? null : Path.of(logFile);
        return new GlobalOptions(profile, level, file, logFormat == null ? GlobalOptions.LogFormat.TEXT : logFormat);
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /**
     * The launcher's command line over {@code environment}; set its out/err writers to capture what a run prints.
     * API errors print as "Error: message" with exit code 1, usage errors with picocli's 2.
     */
    public static CommandLine commandLine(CliEnvironment environment) {
        CommandLine root = new CommandLine(new OxbowCommand(environment));
        helpOnEveryCommand(root);
        root.setCaseInsensitiveEnumValuesAllowed(true);
        return root
                .setExecutionExceptionHandler((e, cmd, parsed) -> {
                    // the API's own message says what went wrong and how to fix it; no stack trace
                    cmd.getErr().println("Error: " + e.getMessage());
                    return 1;
                });
    }

    /** {@code <command> --help} and {@code -h} print the usage and exit 0 on every command, as in the Databricks CLI. */
    private static void helpOnEveryCommand(CommandLine command) {
        if (!command.getCommandSpec().mixinStandardHelpOptions() && !(command.getCommandSpec().userObject() instanceof CommandLine.HelpCommand)) {
            command.getCommandSpec().mixinStandardHelpOptions(true);
        }
        command.getSubcommands().values().forEach(OxbowCommand::helpOnEveryCommand);
    }

    public static void main(String[] args) {
        CommandLine oxbow = commandLine(CliEnvironment.ofProcess());
        int exit = oxbow.execute(args);
        oxbow.getOut().flush();
        oxbow.getErr().flush();
        System.exit(exit);
    }
}
