package dev.oxbow.cli;

import dev.oxbow.client.OxbowClient;
import dev.oxbow.mcp.LakebaseMcpServer;
import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

/** {@code oxbow mcp}: the MCP server with the Lakebase tools on stdin/stdout (logs on stderr), for AI agents. */
@Command(name = "mcp", mixinStandardHelpOptions = true,
        description = "Serve the Lakebase MCP tools over stdio (host and token as for the other client commands).")
final class McpCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        LakebaseMcpServer.serveStdio(OxbowClient.fromEnvironment());
        return 0;
    }
}
