package dev.oxbow.proxy;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static dev.oxbow.proxy.ClientSessionTest.NAME;
import static dev.oxbow.proxy.ClientSessionTest.UID;
import static dev.oxbow.proxy.ClientSessionTest.computeStartup;
import static dev.oxbow.proxy.ProxyHarness.DOMAIN;
import static org.assertj.core.api.Assertions.assertThat;

/** PostgreSQL 17's direct TLS (sslnegotiation=direct) beside SSLRequest: TLS first, ALPN "postgresql" required. */
class DirectTlsTest {
    ProxyHarness h;

    @BeforeEach
    void setUp() throws Exception {
        h = new ProxyHarness();
        h.backend.endpoints.put(UID, new ProxyBackend.EndpointTarget(UID, NAME, "main", false, false));
        h.backend.roles.put("alice", new ProxyBackend.RoleLogin(ProxyBackend.RoleLogin.OAUTH, null));
    }

    @AfterEach
    void tearDown() throws Exception {
        h.close();
    }

    @Test
    void aClientHelloFirstWithAlpnPostgresqlLogsIn() throws Exception {
        var c = h.connect("10.0.0.1");
        var engine = c.startDirectTls(UID + "." + DOMAIN, "postgresql");
        assertThat(engine.handshakeFuture().isSuccess()).isTrue();
        assertThat(engine.applicationProtocol()).isEqualTo("postgresql");
        c.sendStartup(Map.of("user", "alice", "database", "app"));
        assertThat(c.messages()).singleElement().extracting(ProxyHarness.Message::authCode).isEqualTo(PgWire.AUTH_CLEARTEXT);
        c.sendPassword(h.token("alice", NAME, UID));
        assertThat(computeStartup(h.computes.last())).containsEntry("user", "alice").containsEntry("database", "app");
    }

    @Test
    void withoutSniTheTokenRoutesOverDirectTlsToo() throws Exception {
        var c = h.connect("10.0.0.1");
        c.startDirectTls(null, "postgresql");
        c.sendStartup(Map.of("user", "alice"));
        c.messages();
        c.sendPassword(h.token("alice", NAME, UID));
        assertThat(h.backend.attempts.getLast()).startsWith("accepted alice token");
    }

    @Test
    void directTlsWithoutAlpnPostgresqlIsRefused() throws Exception {
        for (String[] alpn : new String[][]{{}, {"h2", "http/1.1"}}) {
            var c = h.connect("10.0.0.1");
            c.startDirectTls(UID + "." + DOMAIN, alpn);
            ProxyHarness.Message e = c.error();
            assertThat(e.field('C')).isEqualTo("08P01");
            assertThat(e.field('M')).contains("ALPN protocol \"postgresql\"");
            assertThat(c.isOpen()).isFalse();
        }
        assertThat(h.backend.resolved).isEmpty();
    }

    @Test
    void anSslRequestAfterDirectTlsIsADuplicate() throws Exception {
        var c = h.connect("10.0.0.1");
        c.startDirectTls(UID + "." + DOMAIN, "postgresql");
        c.sendCode(PgWire.SSL_REQUEST);
        ClientSessionTest.assertRefused(c, "08P01", "duplicate SSL request");
    }
}
