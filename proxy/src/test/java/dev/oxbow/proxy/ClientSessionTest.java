package dev.oxbow.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static dev.oxbow.proxy.ProxyHarness.DOMAIN;
import static org.assertj.core.api.Assertions.assertThat;

/** The proxy's startup, routing, login and hand-over, driven on in-memory channels with a fake control plane. */
class ClientSessionTest {
    static final String UID = "ep-alpha-1";
    static final String NAME = "projects/alpha/branches/main/endpoints/primary";
    static final String VICTIM_UID = "ep-victim-9";
    static final String VICTIM_NAME = "projects/victim-corp/branches/main/endpoints/primary";

    ProxyHarness h;

    @BeforeEach
    void setUp() throws Exception {
        h = new ProxyHarness();
        h.backend.endpoints.put(UID, new ProxyBackend.EndpointTarget(UID, NAME, "main", false, false));
        h.backend.endpoints.put(VICTIM_UID, new ProxyBackend.EndpointTarget(VICTIM_UID, VICTIM_NAME, "main", false, false));
        h.backend.roles.put("alice", new ProxyBackend.RoleLogin(ProxyBackend.RoleLogin.OAUTH, null));
    }

    @AfterEach
    void tearDown() throws Exception {
        h.close();
    }

    static void assertRefused(ProxyHarness.Client c, String sqlState, String messagePart) {
        ProxyHarness.Message e = c.error();
        assertThat(e.field('C')).isEqualTo(sqlState);
        assertThat(e.field('S')).isEqualTo("FATAL");
        assertThat(e.field('M')).contains(messagePart);
        assertThat(c.isOpen()).as("closed after the refusal").isFalse();
    }

    @Test
    void gssEncryptionIsDeclinedAndTlsWithSniRoutes() throws Exception {
        var c = h.connect("10.0.0.1");
        c.sendCode(PgWire.GSSENC_REQUEST);
        assertThat(c.takeBytes()).containsExactly('N');
        c.startTls(UID + "." + DOMAIN);
        c.sendStartup(Map.of("user", "alice", "database", "app"));
        assertThat(c.messages()).singleElement().satisfies(m -> {
            assertThat(m.type()).isEqualTo('R');
            assertThat(m.authCode()).isEqualTo(PgWire.AUTH_CLEARTEXT);
        });
        assertThat(h.backend.resolved).containsExactly(UID);
    }

    @Test
    void plaintextStartupIsRefused() throws Exception {
        var c = h.connect("10.0.0.1");
        c.sendStartup(Map.of("user", "alice", "options", "endpoint=" + UID));
        assertRefused(c, "28000", "requires TLS");
        assertThat(h.backend.resolved).isEmpty();
    }

    @Test
    void anOldProtocolVersionIsRefused() throws Exception {
        var c = h.connect("10.0.0.1");
        c.send(Unpooled.buffer().writeInt(9).writeInt(2 << 16).writeByte(0));
        assertRefused(c, "08P01", "unsupported frontend protocol 2.0");
    }

    @Test
    void aSecondSslRequestIsAProtocolViolation() throws Exception {
        var c = h.connect("10.0.0.1");
        c.startTls(null);
        c.sendCode(PgWire.SSL_REQUEST);
        assertRefused(c, "08P01", "duplicate SSL request");
    }

    /**
     * Lookups, password hashing and token checks run on the login threads (here a queue the test runs), so the event
     * loop relays other sessions meanwhile; what the client sends while a check runs is refused, and a check that
     * finishes after its client is gone changes nothing.
     */
    @Test
    void loginChecksRunOffTheEventLoop() throws Exception {
        java.util.Queue<Runnable> loginThread = new java.util.ArrayDeque<>();
        try (ProxyHarness q = new ProxyHarness(LoginLimits.defaults(), loginThread::add)) {
            q.backend.endpoints.put(UID, new ProxyBackend.EndpointTarget(UID, NAME, "main", false, false));
            q.backend.roles.put("alice", new ProxyBackend.RoleLogin(ProxyBackend.RoleLogin.OAUTH, null));
            var c = q.connect("10.0.0.1");
            c.startTls(UID + "." + DOMAIN);
            c.sendStartup(Map.of("user", "alice"));
            assertThat(c.messages()).as("no answer before the check ran").isEmpty();
            assertThat(q.backend.resolved).as("no lookup on the event loop").isEmpty();
            loginThread.remove().run();
            assertThat(q.backend.resolved).containsExactly(UID);
            assertThat(c.messages()).singleElement().extracting(ProxyHarness.Message::authCode).isEqualTo(PgWire.AUTH_CLEARTEXT);

            c.sendPassword(q.token("alice", NAME, UID));
            assertThat(q.backend.attempts).as("the token is checked on the login thread").isEmpty();
            c.sendPassword("a second message before the answer");
            assertRefused(c, "08P01", "unexpected message");
            loginThread.remove().run();
            assertThat(q.backend.acquired).as("a refused session is not logged in by its late check").isZero();
            assertThat(loginThread).isEmpty();

            var gone = q.connect("10.0.0.2");
            gone.startTls(UID + "." + DOMAIN);
            gone.sendStartup(Map.of("user", "alice"));
            gone.messages();
            loginThread.remove().run();
            gone.messages();
            gone.sendPassword(q.token("alice", NAME, UID));
            gone.proxySide.close();
            loginThread.remove().run();
            gone.proxySide.runPendingTasks();
            assertThat(q.backend.acquired).as("a check finishing after its client closed wakes nothing").isZero();
        }
    }

    @Test
    void withoutSniOptionsOrTokenTheEndpointIsMissing() throws Exception {
        var c = h.connect("10.0.0.1");
        c.startTls(null);
        c.sendStartup(Map.of("user", "alice"));
        assertThat(c.messages()).singleElement().extracting(ProxyHarness.Message::authCode).isEqualTo(PgWire.AUTH_CLEARTEXT);
        c.sendPassword("a-native-password");
        assertRefused(c, "08004", "name the endpoint: SNI host <uid>." + DOMAIN + ", options=endpoint=<uid>, or password endpoint=<uid>;<password>");
        assertThat(h.backend.resolved).isEmpty();
        assertThat(h.backend.attempts.getLast()).doesNotContain("a-native-password");
    }

    @Test
    void withoutSniOrOptionsTheTokensOwnEndpointIsUsed() throws Exception {
        var c = h.connect("10.0.0.1");
        c.startTls(null);
        c.sendStartup(Map.of("user", "alice", "database", "app"));
        assertThat(c.messages()).singleElement().extracting(ProxyHarness.Message::authCode).isEqualTo(PgWire.AUTH_CLEARTEXT);
        assertThat(h.backend.resolved).as("nothing resolved before the token is verified").isEmpty();
        c.sendPassword(h.token("alice", NAME, UID));
        assertThat(h.backend.resolved).containsExactly(UID);
        assertThat(computeStartup(h.computes.last())).containsEntry("user", "alice").containsEntry("database", "app");
        assertThat(h.backend.attempts.getLast()).startsWith("accepted alice token");
    }

    @Test
    void anInvalidTokenWithoutEndpointResolvesNothing() throws Exception {
        var c = h.connect("10.0.0.1");
        c.startTls(null);
        c.sendStartup(Map.of("user", "alice"));
        c.messages();
        String token = h.token("alice", NAME, UID);
        c.sendPassword(token.substring(0, token.length() - 4) + "AAAA");
        assertRefused(c, "28P01", "the credential is not valid");
        assertThat(h.backend.resolved).isEmpty();
        assertThat(h.backend.acquired).isZero();
    }

    @Test
    void thePasswordFormNamesTheEndpointWithEitherSeparator() throws Exception {
        for (String separator : List.of(";", "$")) {
            h.backend.resolved.clear();
            var c = h.connect("10.0.0.1");
            c.startTls(null);
            c.sendStartup(Map.of("user", "alice"));
            c.messages();
            // the password names the endpoint, and only its token logs in there
            c.sendPassword("endpoint=" + UID + separator + h.token("alice", NAME, UID));
            assertThat(h.backend.resolved).containsExactly(UID);
            assertThat(h.backend.attempts.getLast()).startsWith("accepted alice token");
        }
        var wrong = h.connect("10.0.0.1");
        wrong.startTls(null);
        wrong.sendStartup(Map.of("user", "alice"));
        wrong.messages();
        wrong.sendPassword("endpoint=" + VICTIM_UID + ";" + h.token("alice", NAME, UID));
        assertRefused(wrong, "28000", "issued for endpoint " + NAME + ", not " + VICTIM_UID);
        assertThat(h.backend.acquired).isEqualTo(2);
    }

    @Test
    void thePasswordFormMustAgreeWithSniAndBeWellShaped() throws Exception {
        var clash = h.connect("10.0.0.1");
        clash.startTls(UID + "." + DOMAIN);
        clash.sendStartup(Map.of("user", "alice"));
        clash.messages();
        clash.sendPassword("endpoint=" + VICTIM_UID + ";" + h.token("alice", NAME, UID));
        assertRefused(clash, "08004", "name endpoint " + UID + " but the password names " + VICTIM_UID);

        for (String bad : List.of("endpoint=../../etc;secret", "endpoint=ep-alpha-1")) {
            var c = h.connect("10.0.0.1");
            c.startTls(null);
            c.sendStartup(Map.of("user", "alice"));
            c.messages();
            c.sendPassword(bad);
            ProxyHarness.Message e = c.error();
            assertThat(e.field('C')).isEqualTo("08004");
            assertThat(e.field('M')).doesNotContain("etc").doesNotContain("secret");
        }
        assertThat(h.backend.acquired).isZero();
    }

    @Test
    void aNativePasswordLogsInThroughThePasswordForm() throws Exception {
        h.backend.endpoints.put(UID, new ProxyBackend.EndpointTarget(UID, NAME, "main", false, true));
        h.backend.roles.put("app_user", new ProxyBackend.RoleLogin(ProxyBackend.RoleLogin.PASSWORD,
                dev.oxbow.auth.ScramVerifier.create("s3cret-pw".toCharArray())));
        var wrong = h.connect("10.0.0.1");
        wrong.startTls(null);
        wrong.sendStartup(Map.of("user", "app_user"));
        wrong.messages();
        wrong.sendPassword("endpoint=" + UID + ";not-it");
        assertRefused(wrong, "28P01", "password authentication failed");
        assertThat(h.backend.acquired).isZero();

        var c = h.connect("10.0.0.1");
        c.startTls(null);
        c.sendStartup(Map.of("user", "app_user"));
        c.messages();
        c.sendPassword("endpoint=" + UID + "$s3cret-pw");
        assertThat(h.backend.attempts.getLast()).startsWith("accepted app_user password");
        assertThat(computeStartup(h.computes.last())).containsEntry("user", "app_user");
    }

    @Test
    void aPooledHostHandsOverToTheEndpointsPoolerWithTheEndpointsOwnCredentials() throws Exception {
        h.backend.endpoints.put(UID + "-pooler", h.backend.endpoints.get(UID).throughPooler());
        var c = h.connect("10.0.0.1");
        c.startTls(UID + "-pooler." + DOMAIN);
        c.sendStartup(Map.of("user", "alice", "database", "app"));
        c.messages();
        // the password form names the host as the client addressed it
        c.sendPassword("endpoint=" + UID + "-pooler;" + h.token("alice", NAME, UID));
        assertThat(computeStartup(h.computes.last())).containsEntry("user", "alice");
        assertThat(h.computes.socketDirs).containsExactly(java.nio.file.Path.of("/computes/fake-pooler"));
        assertThat(h.backend.acquiredPooled).isEqualTo(1);
        assertThat(h.backend.acquired).as("counted once, as a pooled connection").isZero();

        var clash = h.connect("10.0.0.2");
        clash.startTls(UID + "-pooler." + DOMAIN);
        clash.sendStartup(Map.of("user", "alice"));
        clash.messages();
        clash.sendPassword("endpoint=" + UID + ";" + h.token("alice", NAME, UID));
        assertRefused(clash, "08004", "name endpoint " + UID + "-pooler but the password names " + UID);
    }

    @Test
    void optionsRouteWithoutSniAndTheRestIsKept() throws Exception {
        var c = h.connect("10.0.0.1");
        c.startTls(null);
        c.sendStartup(Map.of("user", "alice", "database", "app", "options", "endpoint=" + UID + " -c search_path=s1"));
        assertThat(c.messages()).singleElement().extracting(ProxyHarness.Message::authCode).isEqualTo(PgWire.AUTH_CLEARTEXT);
        assertThat(h.backend.resolved).containsExactly(UID);
        c.sendPassword(h.token("alice", NAME, UID));
        Map<String, String> startup = computeStartup(h.computes.last());
        assertThat(startup).containsEntry("user", "alice").containsEntry("database", "app").containsEntry("options", "-c search_path=s1");
    }

    @Test
    void unknownEndpointsAndHostileOptionsAreRefused() throws Exception {
        var unknown = h.connect("10.0.0.1");
        unknown.startTls(null);
        unknown.sendStartup(Map.of("user", "alice", "options", "endpoint=ep-nobody"));
        assertRefused(unknown, "08004", "endpoint ep-nobody not found");

        var hostile = h.connect("10.0.0.1");
        hostile.startTls(null);
        hostile.sendStartup(Map.of("user", "alice", "options", "endpoint=../../etc"));
        assertRefused(hostile, "08004", "invalid endpoint id");
        assertThat(h.backend.resolved).containsExactly("ep-nobody");
    }

    @Test
    void aDisabledEndpointIsNamedOnlyByTheUidTheClientGave() throws Exception {
        h.backend.endpoints.put(VICTIM_UID, new ProxyBackend.EndpointTarget(VICTIM_UID, VICTIM_NAME, "main", true, false));
        var c = h.connect("10.0.0.1");
        c.startTls(VICTIM_UID + "." + DOMAIN);
        c.sendStartup(Map.of("user", "mallory"));
        ProxyHarness.Message e = c.error();
        assertThat(e.field('M')).contains(VICTIM_UID + " is disabled").doesNotContain("victim-corp");
    }

    @Test
    void aTokenForOneTenantDoesNotRevealAnotherTenantsNames() throws Exception {
        var c = h.connect("10.0.0.1");
        c.startTls(VICTIM_UID + "." + DOMAIN);
        c.sendStartup(Map.of("user", "alice"));
        c.messages();
        c.sendPassword(h.token("alice", NAME, UID));
        ProxyHarness.Message e = c.error();
        assertThat(e.field('C')).isEqualTo("28000");
        assertThat(e.field('M')).contains("issued for endpoint " + NAME).contains(VICTIM_UID).doesNotContain("victim-corp");
        assertThat(h.backend.acquired).isZero();
    }

    @Test
    void passwordsAreNeverEchoed() throws Exception {
        for (String password : List.of("hunter2-very-secret", "dapi0123456789abcdef")) {
            var c = h.connect("10.0.0.1");
            c.startTls(UID + "." + DOMAIN);
            c.sendStartup(Map.of("user", "alice"));
            c.messages();
            c.sendPassword(password);
            ProxyHarness.Message e = c.error();
            assertThat(e.field('C')).isEqualTo("28P01");
            assertThat(e.field('M')).doesNotContain(password);
            assertThat(h.backend.attempts.getLast()).doesNotContain(password);
        }
    }

    @Test
    void aLoginHandsOverToTheComputeWithACancelKeyOfTheProxy() throws Exception {
        var c = loggedIn("10.0.0.1");
        EmbeddedChannel compute = h.computes.last();
        compute.writeInbound(backendGreeting(4242, 777));
        List<ProxyHarness.Message> greeting = c.messages();
        assertThat(greeting).extracting(ProxyHarness.Message::type).containsExactly('R', 'K', 'Z');
        var keyData = java.nio.ByteBuffer.wrap(greeting.get(1).body());
        int pid = keyData.getInt();
        int secret = keyData.getInt();
        assertThat(pid).as("the compute's pid, so pg_backend_pid() matches").isEqualTo(4242);
        assertThat(secret).as("the proxy's own secret").isNotEqualTo(777);

        // after the hand-over bytes pass unchanged both ways
        c.send(query("SELECT 1"));
        ByteBuf got = compute.readOutbound();
        assertThat(got.toString(StandardCharsets.UTF_8)).contains("SELECT 1");
        got.release();

        // a cancel with the client's key reaches the compute with the compute's key; the compute's own key does nothing
        var cancel = h.connect("10.0.0.2");
        cancel.send(Unpooled.buffer().writeInt(16).writeInt(PgWire.CANCEL_REQUEST).writeInt(pid).writeInt(secret));
        assertThat(cancel.isOpen()).isFalse();
        var forged = h.connect("10.0.0.2");
        forged.send(Unpooled.buffer().writeInt(16).writeInt(PgWire.CANCEL_REQUEST).writeInt(4242).writeInt(777));
        assertThat(h.computes.cancels).containsExactly("/computes/fake 4242 777");

        // the compute goes: the client goes, the endpoint is released and the key forgotten
        compute.close();
        assertThat(c.isOpen()).isFalse();
        assertThat(h.backend.released).isEqualTo(1);
        assertThat(h.server.cancelKeys().size()).isZero();
    }

    @Test
    void uploadsBeyondTheComputesWriteBufferFlowThroughTls() throws Exception {
        var c = loggedIn("10.0.0.1");
        EmbeddedChannel compute = h.computes.last();
        compute.config().setWriteBufferWaterMark(new WriteBufferWaterMark(1024, 2048));
        String big = "x".repeat(256 * 1024);
        c.send(query("SELECT '" + big + "'"));
        StringBuilder got = new StringBuilder();
        for (ByteBuf b; (b = compute.readOutbound()) != null; ) {
            got.append(b.toString(StandardCharsets.UTF_8));
            b.release();
        }
        assertThat(got.toString()).contains(big);
        assertThat(c.proxySide.config().isAutoRead()).as("reading goes on once the compute drained").isTrue();
    }

    @Test
    void clientBytesFramedTogetherWithThePasswordStillReachTheCompute() throws Exception {
        var c = h.connect("10.0.0.1");
        c.startTls(UID + "." + DOMAIN);
        c.sendStartup(Map.of("user", "alice"));
        c.messages();
        byte[] token = h.token("alice", NAME, UID).getBytes(StandardCharsets.UTF_8);
        ByteBuf password = Unpooled.buffer().writeByte('p').writeInt(4 + token.length + 1).writeBytes(token).writeByte(0);
        ByteBuf partial = query("SELECT 2");
        // the password and the first 3 bytes of a pipelined query in one TLS record
        c.send(Unpooled.wrappedBuffer(password, partial.readRetainedSlice(3)));
        c.send(partial);
        computeStartup(h.computes.last());
        ByteBuf got = h.computes.last().readOutbound();
        StringBuilder all = new StringBuilder();
        for (; got != null; got = h.computes.last().readOutbound()) {
            all.append(got.toString(StandardCharsets.UTF_8));
            got.release();
        }
        assertThat(all.toString()).endsWith("SELECT 2\0");
    }

    /** A client that has logged in with a token and been handed over to a fake compute. */
    ProxyHarness.Client loggedIn(String from) throws Exception {
        var c = h.connect(from);
        c.startTls(UID + "." + DOMAIN);
        c.sendStartup(Map.of("user", "alice", "database", "app"));
        assertThat(c.messages()).hasSize(1);
        c.sendPassword(h.token("alice", NAME, UID));
        assertThat(h.backend.acquired).isEqualTo(1);
        assertThat(h.backend.attempts).last().asString().startsWith("accepted alice token");
        computeStartup(h.computes.last());
        return c;
    }

    static Map<String, String> computeStartup(EmbeddedChannel compute) {
        ByteBuf startup = compute.readOutbound();
        assertThat(startup).as("the compute got a startup message").isNotNull();
        try {
            assertThat(startup.readInt()).isEqualTo(startup.readableBytes() + 4);
            assertThat(startup.readInt()).isEqualTo(PgWire.PROTOCOL_3);
            return PgWire.startupParams(startup);
        } finally {
            startup.release();
        }
    }

    static ByteBuf query(String sql) {
        byte[] b = sql.getBytes(StandardCharsets.UTF_8);
        return Unpooled.buffer().writeByte('Q').writeInt(4 + b.length + 1).writeBytes(b).writeByte(0);
    }

    static ByteBuf backendGreeting(int pid, int secret) {
        return Unpooled.buffer()
                .writeByte('R').writeInt(8).writeInt(PgWire.AUTH_OK)
                .writeByte('K').writeInt(12).writeInt(pid).writeInt(secret)
                .writeByte('Z').writeInt(5).writeByte('I');
    }
}
