package dev.oxbow.cli;

import dev.oxbow.cli.postgres.PostgresCommands;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code oxbow}: the single launcher for the server and the client commands (postgres, psql, mcp, identity). */
@Command(name = "oxbow", mixinStandardHelpOptions = true, version = "oxbow 0.1.0",
        description = "Self-hosted serverless PostgreSQL with a Databricks Lakebase compatible API.",
        subcommands = {ServerCommand.class, PostgresCommands.class, PsqlCommand.class, McpCommand.class, CompletionCommand.class, IdentityCommands.Users.class, IdentityCommands.ServicePrincipals.class,
                IdentityCommands.Groups.class, IdentityCommands.Tokens.class, IdentityCommands.Permissions.class, CommandLine.HelpCommand.class})
public final class OxbowCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    private final CliEnvironment environment;

    private OxbowCommand(CliEnvironment environment) {
        this.environment = environment;
    }

    /** What this run reads besides its arguments; every subcommand asks through {@link CliEnvironment#of}. */
    CliEnvironment environment() {
        return environment;
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
        return new CommandLine(new OxbowCommand(environment))
                .setExecutionExceptionHandler((e, cmd, parsed) -> {
                    // the API's own message says what went wrong and how to fix it; no stack trace
                    cmd.getErr().println("Error: " + e.getMessage());
                    return 1;
                });
    }

    public static void main(String[] args) {
        CommandLine oxbow = commandLine(CliEnvironment.ofProcess());
        int exit = oxbow.execute(args);
        oxbow.getOut().flush();
        oxbow.getErr().flush();
        System.exit(exit);
    }
}
