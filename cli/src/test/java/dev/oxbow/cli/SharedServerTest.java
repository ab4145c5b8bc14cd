package dev.oxbow.cli;

import dev.oxbow.client.OxbowClient;
import org.junit.jupiter.api.Test;

import java.io.UncheckedIOException;
import java.nio.file.Files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The fixture's close: stops the server, removes its home, and is harmless the second time. (With running computes
 * it is checked at the end of every run: JUnit fails the build when the shared server's close throws.)
 */
class SharedServerTest {

    @Test
    void closeStopsTheServerRemovesTheHomeAndAgainIsANoOp() {
        SharedServer server = SharedServer.start();
        OxbowClient api = new OxbowClient(server.server().baseUrl(), server.adminToken());
        try {
            assertThat(api.get("/api/2.0/preview/scim/v2/Me").path("userName").asText()).isEqualTo("admin@oxbow.local");
            assertThat(server.home()).isDirectory();
        } finally {
            server.close();
        }
        assertThat(Files.exists(server.home())).isFalse();
        assertThatThrownBy(() -> api.get("/api/2.0/preview/scim/v2/Me")).isInstanceOf(UncheckedIOException.class);
        server.close();
        assertThat(Files.exists(server.home())).isFalse();
    }
}
