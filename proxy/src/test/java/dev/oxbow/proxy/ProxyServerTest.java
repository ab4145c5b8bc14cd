package dev.oxbow.proxy;

import org.junit.jupiter.api.Test;

import java.net.Socket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

class ProxyServerTest {
    @Test
    void closeIsIdempotentStartedOrNot() throws Exception {
        try (ProxyHarness never = new ProxyHarness()) {
            assertThatCode(() -> {
                never.server.close();
                never.server.close();
            }).doesNotThrowAnyException();
        }
        try (ProxyHarness h = new ProxyHarness()) {
            int port = h.server.start();
            try (Socket s = new Socket("127.0.0.1", port)) {
                assertThat(s.isConnected()).isTrue();
            }
            h.server.close();
            assertThatCode(h.server::close).doesNotThrowAnyException();
        }
    }

    @Test
    void theFiveFieldConfigHasTheDefaultLoginLimits() {
        ProxyConfig config = new ProxyConfig("127.0.0.1", 0, "x", java.time.Duration.ofHours(1), java.time.Duration.ofDays(1));
        assertThat(config.login()).isEqualTo(LoginLimits.defaults());
        assertThat(config.login().timeout()).hasSeconds(10);
    }
}
