package dev.oxbow.cli;

import dev.oxbow.cli.CliFixture.Run;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;

import static dev.oxbow.cli.CliFixture.oxbow;
import static org.assertj.core.api.Assertions.assertThat;

/** The fixture's close: stops a server with a running compute, removes its home, and is harmless the second time. */
class SharedServerTest {

    @Test
    void closeRemovesTheHomeOnceAndAgainIsANoOp() {
        SharedServer server = SharedServer.start();
        try {
            Run project = oxbow(server.env(), "postgres", "create-project", "closing");
            assertThat(project.exit()).as(project.stderr()).isZero();
            assertThat(server.home()).isDirectory();
        } finally {
            server.close();
        }
        assertThat(Files.exists(server.home())).isFalse();
        server.close();
        assertThat(Files.exists(server.home())).isFalse();
    }
}
