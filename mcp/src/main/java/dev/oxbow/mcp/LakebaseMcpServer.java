package dev.oxbow.mcp;

import dev.oxbow.client.OxbowClient;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.transport.StdioServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/** The MCP server: the Lakebase tools ({@link LakebaseTools}) over stdio. stdout is the protocol; logs go to stderr. */
public final class LakebaseMcpServer {
    private static final Logger log = LoggerFactory.getLogger(LakebaseMcpServer.class);

    private LakebaseMcpServer() {}

    /** Serves on this process's stdin/stdout until the client closes stdin. */
    public static void serveStdio(OxbowClient client) {
        CountDownLatch closed = new CountDownLatch(1);
        McpJsonMapper json = McpJsonDefaults.getMapper();
        var transport = new StdioServerTransportProvider(json, new EofSignal(System.in, closed), System.out);
        LakebaseTools tools = new LakebaseTools(client);
        McpSyncServer server = McpServer.sync(transport)
                .serverInfo("oxbow-lakebase", "0.1.0")
                .capabilities(McpSchema.ServerCapabilities.builder().tools(true).build())
                .requestTimeout(Duration.ofMinutes(10))
                .tools(tools.specifications(json))
                .build();
        log.info("MCP server ready on stdio for {}", client.host());
        try {
            closed.await();
            log.info("MCP client closed stdin; stopping once running tool calls have answered");
            // requests read just before EOF are still being handled on other threads: let them answer
            Thread.sleep(500);
            while (tools.running() > 0) {
                Thread.sleep(100);
            }
            Thread.sleep(500);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        server.closeGracefully();
    }

    /** Counts the latch down when the wrapped stream ends, so the main thread knows the session is over. */
    private static final class EofSignal extends FilterInputStream {
        private final CountDownLatch closed;

        EofSignal(InputStream in, CountDownLatch closed) {
            super(in);
            this.closed = closed;
        }

        @Override
        public int read() throws IOException {
            return seen(super.read());
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            return seen(super.read(b, off, len));
        }

        private int seen(int n) {
            if (n < 0) {
                closed.countDown();
            }
            return n;
        }
    }
}
