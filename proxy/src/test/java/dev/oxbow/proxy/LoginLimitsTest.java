package dev.oxbow.proxy;

import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.oxbow.proxy.ProxyHarness.DOMAIN;
import static org.assertj.core.api.Assertions.assertThat;

/** The pre-login timeout, the caps on connections that have not logged in, and cancel throttling, on a stepped clock. */
class LoginLimitsTest {
    static final String UID = ClientSessionTest.UID;
    static final String NAME = ClientSessionTest.NAME;

    ProxyHarness h;

    ProxyHarness harness(LoginLimits limits) throws Exception {
        h = new ProxyHarness(limits);
        h.backend.endpoints.put(UID, new ProxyBackend.EndpointTarget(UID, NAME, "main", false, false));
        h.backend.roles.put("alice", new ProxyBackend.RoleLogin(ProxyBackend.RoleLogin.OAUTH, null));
        return h;
    }

    @AfterEach
    void tearDown() throws Exception {
        h.close();
    }

    static void advance(ProxyHarness.Client c, Duration by) {
        c.proxySide.advanceTimeBy(by.toNanos(), TimeUnit.NANOSECONDS);
        c.proxySide.runScheduledPendingTasks();
    }

    @Test
    void aSilentConnectionIsClosedAtTheLoginTimeoutAndNotBefore() throws Exception {
        harness(LoginLimits.defaults());
        var c = h.connect("10.0.0.1");
        assertThat(h.server.pendingLogins().pending()).isEqualTo(1);
        advance(c, Duration.ofSeconds(9));
        assertThat(c.isOpen()).isTrue();
        advance(c, Duration.ofSeconds(2));
        assertThat(c.isOpen()).as("closed 10 s after it was accepted").isFalse();
        assertThat(c.takeBytes()).as("nothing said to a client that said nothing").isEmpty();
        assertThat(h.server.pendingLogins().pending()).isZero();
    }

    @Test
    void aClientThatStopsAtThePasswordIsToldItTimedOut() throws Exception {
        harness(LoginLimits.defaults());
        var c = h.connect("10.0.0.1");
        c.startTls(UID + "." + DOMAIN);
        c.sendStartup(Map.of("user", "alice"));
        assertThat(c.messages()).hasSize(1);
        advance(c, Duration.ofSeconds(11));
        ClientSessionTest.assertRefused(c, "57014", "canceling authentication due to timeout");
        assertThat(h.backend.attempts).last().asString().startsWith("refused alice 57014");
    }

    @Test
    void aLoggedInConnectionOutlivesTheLoginTimeoutAndLeavesTheCount() throws Exception {
        harness(LoginLimits.defaults());
        var c = h.connect("10.0.0.1");
        c.startTls(UID + "." + DOMAIN);
        c.sendStartup(Map.of("user", "alice"));
        c.messages();
        c.sendPassword(h.token("alice", NAME, UID));
        assertThat(h.server.pendingLogins().pending()).as("logged in: no longer pending").isZero();
        advance(c, Duration.ofSeconds(60));
        assertThat(c.isOpen()).isTrue();
    }

    @Test
    void atACapTheOldestPendingConnectionMakesRoomAndIsToldWhy() throws Exception {
        harness(new LoginLimits(Duration.ofSeconds(10), 3, 2, 50, 10));
        var a1 = h.connect("10.0.0.1");
        var a2 = h.connect("10.0.0.1");
        a2.startTls(UID + "." + DOMAIN);
        a2.sendStartup(Map.of("user", "alice"));
        assertThat(a2.messages()).hasSize(1);
        var a3 = h.connect("10.0.0.1");
        ClientSessionTest.assertRefused(a1, "53300", "too many connections from this address are waiting to log in");
        assertThat(a2.isOpen()).isTrue();
        assertThat(a3.isOpen()).isTrue();

        var b1 = h.connect("10.0.0.2");
        assertThat(h.server.pendingLogins().pending()).isEqualTo(3);
        var c1 = h.connect("10.0.0.3");
        // the oldest of all was a2, in the middle of its login: told inside its TLS session
        ClientSessionTest.assertRefused(a2, "53300", "too many connections are waiting to log in");
        assertThat(h.backend.attempts).last().asString().startsWith("refused alice 53300");
        assertThat(h.server.pendingLogins().pending()).isEqualTo(3);
        assertThat(h.server.pendingLogins().pending(InetAddress.getByName("10.0.0.1"))).isEqualTo(1);

        // a newcomer logs in at once, whatever the flood: logged-in connections stop counting
        var d1 = h.connect("10.0.0.4");
        d1.startTls(UID + "." + DOMAIN);
        d1.sendStartup(Map.of("user", "alice"));
        d1.messages();
        d1.sendPassword(h.token("alice", NAME, UID));
        assertThat(h.backend.acquired).isEqualTo(1);
        assertThat(d1.isOpen()).isTrue();
        assertThat(h.server.pendingLogins().pending()).isEqualTo(2);
        a3.poll();
        assertThat(a3.isOpen()).as("a3 was the oldest when d1 came").isFalse();
        assertThat(b1.isOpen()).isTrue();
        assertThat(c1.isOpen()).isTrue();

        // a closed connection frees its slot without pushing anyone out
        b1.proxySide.close();
        c1.proxySide.close();
        assertThat(h.server.pendingLogins().pending()).isZero();
    }

    @Test
    void aSilentConnectionPushedOutBeforeTlsIsToldInPlainText() throws Exception {
        harness(new LoginLimits(Duration.ofSeconds(10), 1000, 1, 50, 10));
        var first = h.connect("10.0.0.1");
        first.startTls(null);
        var second = h.connect("10.0.0.1");
        first.poll();
        assertThat(first.isOpen()).as("mid-TLS: closed without a word").isFalse();
        var third = h.connect("10.0.0.1");
        ClientSessionTest.assertRefused(second, "53300", "too many connections from this address");
        assertThat(third.isOpen()).isTrue();
    }

    @Test
    void cancelRequestsAreThrottledPerNetwork() throws Exception {
        harness(new LoginLimits(Duration.ofSeconds(10), 1000, 100, 2, 1));
        CancelKeys.Key key = h.server.cancelKeys().issue(java.nio.file.Path.of("/computes/x"), 99, 1234);
        for (String from : new String[]{"10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.1.1"}) {
            var c = h.connect(from);
            c.send(Unpooled.buffer().writeInt(16).writeInt(PgWire.CANCEL_REQUEST).writeInt(key.pid()).writeInt(key.secret()));
            assertThat(c.isOpen()).isFalse();
        }
        // 10.0.0.3 is the third from 10.0.0.0/24 (burst of 2); 10.0.1.1 is another network
        assertThat(h.computes.cancels).containsExactly("/computes/x 99 1234", "/computes/x 99 1234", "/computes/x 99 1234");
    }
}
