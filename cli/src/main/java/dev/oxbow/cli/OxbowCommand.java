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

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new OxbowCommand())
                .setExecutionExceptionHandler((e, cmd, parsed) -> {
                    // the API's own message says what went wrong and how to fix it; no stack trace
                    cmd.getErr().println("Error: " + e.getMessage());
                    return 1;
                })
                .execute(args));
    }
}
