package dev.oxbow.cli;

import dev.oxbow.mcp.LakebaseMcpServer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/** {@code oxbow mcp}: the MCP server with the Lakebase tools on stdin/stdout (logs on stderr), for AI agents. */
@Command(name = "mcp", mixinStandardHelpOptions = true,
        description = "Serve the Lakebase MCP tools over stdio (host and token as for the other client commands).")
final class McpCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
        // the protocol is the process's own stdin/stdout, not picocli's writers
        LakebaseMcpServer.serveStdio(CliEnvironment.of(spec).client());
        return 0;
    }
}
