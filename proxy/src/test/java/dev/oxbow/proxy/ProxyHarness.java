package dev.oxbow.proxy;

import dev.oxbow.auth.ServerCertificate;
import dev.oxbow.auth.TokenService;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A ProxyServer driven without sockets: a fake control plane, computes as in-memory channels, and the real TLS
 * context and token service; each client is a pair of EmbeddedChannels (the proxy's end, and a TLS client).
 */
final class ProxyHarness implements AutoCloseable {
    static final String DOMAIN = "oxbow.test";

    final Path dir;
    final FakeBackend backend = new FakeBackend();
    final FakeComputes computes = new FakeComputes();
    final TokenService tokens;
    final ProxyServer server;
    private final SslContext clientSsl;

    ProxyHarness(LoginLimits limits) throws Exception {
        this(limits, Runnable::run);
    }

    /** With login checks run by {@code loginWork} (the test's own queue), not inline. */
    ProxyHarness(LoginLimits limits, java.util.concurrent.Executor loginWork) throws Exception {
        dir = Files.createTempDirectory("proxy-harness-");
        ServerCertificate cert = TestCertificate.get();
        tokens = new TokenService(dir.resolve("keys"), Clock.systemUTC());
        ProxyConfig config = new ProxyConfig("127.0.0.1", 0, DOMAIN, Duration.ofHours(24), Duration.ofDays(3), limits);
        server = new ProxyServer(config, backend, tokens, TlsContexts.server(cert.certChain(), cert.privateKey()), computes, loginWork);
        clientSsl = SslContextBuilder.forClient().sslProvider(SslProvider.JDK).trustManager(cert.caCert().toFile()).build();
    }

    ProxyHarness() throws Exception {
        this(LoginLimits.defaults());
    }

    Client connect(String from) throws Exception {
        EmbeddedChannel proxySide = new EmbeddedChannel();
        server.initClient(proxySide, InetAddress.getByName(from));
        return new Client(proxySide);
    }

    String token(String user, String endpointName, String endpointUid) {
        return tokens.issue(user, endpointName, endpointUid, Duration.ofMinutes(5)).token();
    }

    @Override
    public void close() throws Exception {
        server.close();
        try (var walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** One client: speaks raw bytes until {@link #startTls}, then through a TLS engine of its own. */
    final class Client {
        final EmbeddedChannel proxySide;
        private EmbeddedChannel tls;
        private final ByteBuf received = Unpooled.buffer();

        Client(EmbeddedChannel proxySide) {
            this.proxySide = proxySide;
        }

        void send(ByteBuf bytes) {
            if (tls == null) {
                if (proxySide.isOpen()) {
                    proxySide.writeInbound(bytes);
                } else {
                    bytes.release();
                }
                collectPlain();
            } else {
                tls.writeAndFlush(bytes);
                pump();
            }
        }

        void sendStartup(Map<String, String> params) {
            send(PgWire.startup(ByteBufAllocator.DEFAULT, params));
        }

        void sendPassword(String password) {
            byte[] p = password.getBytes(StandardCharsets.UTF_8);
            send(Unpooled.buffer().writeByte('p').writeInt(4 + p.length + 1).writeBytes(p).writeByte(0));
        }

        void sendCode(int code) {
            send(Unpooled.buffer().writeInt(8).writeInt(code));
        }

        /** SSLRequest, the 'S' answer, then a TLS handshake with {@code sni} (or none). */
        void startTls(String sni) {
            sendCode(PgWire.SSL_REQUEST);
            if (received.readableBytes() != 1 || received.readByte() != 'S') {
                throw new AssertionError("no 'S' in answer to SSLRequest");
            }
            SslHandler handler = sni == null ? clientSsl.newHandler(ByteBufAllocator.DEFAULT)
                    : clientSsl.newHandler(ByteBufAllocator.DEFAULT, sni, 5432);
            tls = new EmbeddedChannel(handler);
            pump();
            if (!handler.handshakeFuture().isSuccess()) {
                throw new AssertionError("TLS handshake did not complete", handler.handshakeFuture().cause());
            }
        }

        /**
         * PostgreSQL 17's direct TLS: a ClientHello as the first bytes, no SSLRequest, offering {@code alpn} (none if
         * empty). Returns the client's engine so the test can see whether the handshake completed.
         */
        SslHandler startDirectTls(String sni, String... alpn) throws Exception {
            var builder = SslContextBuilder.forClient().sslProvider(SslProvider.JDK).trustManager(TestCertificate.get().caCert().toFile());
            if (alpn.length > 0) {
                builder.applicationProtocolConfig(new io.netty.handler.ssl.ApplicationProtocolConfig(
                        io.netty.handler.ssl.ApplicationProtocolConfig.Protocol.ALPN,
                        io.netty.handler.ssl.ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        io.netty.handler.ssl.ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, alpn));
            }
            SslContext context = builder.build();
            SslHandler handler = sni == null ? context.newHandler(ByteBufAllocator.DEFAULT) : context.newHandler(ByteBufAllocator.DEFAULT, sni, 5432);
            tls = new EmbeddedChannel(handler);
            pump();
            return handler;
        }

        /** Moves bytes both ways until neither side has more to say. */
        void pump() {
            boolean moved = true;
            while (moved) {
                moved = false;
                for (Object o; (o = tls.readOutbound()) != null; moved = true) {
                    if (proxySide.isOpen()) {
                        proxySide.writeInbound(o);
                    } else {
                        ((ByteBuf) o).release();
                    }
                }
                proxySide.runPendingTasks();
                for (Object o; (o = proxySide.readOutbound()) != null; moved = true) {
                    tls.writeInbound(o);
                }
            }
            for (ByteBuf b; (b = tls.readInbound()) != null; ) {
                received.writeBytes(b);
                b.release();
            }
        }

        private void collectPlain() {
            for (ByteBuf b; (b = proxySide.readOutbound()) != null; ) {
                received.writeBytes(b);
                b.release();
            }
        }

        /** Brings in what the proxy sent since the last call (after timers or compute replies). */
        void poll() {
            proxySide.runPendingTasks();
            if (tls == null) {
                collectPlain();
            } else {
                pump();
            }
        }

        /** The whole backend messages received so far, consumed. */
        List<Message> messages() {
            poll();
            List<Message> out = new ArrayList<>();
            while (received.readableBytes() >= 5) {
                int length = received.getInt(received.readerIndex() + 1);
                if (received.readableBytes() < length + 1) {
                    break;
                }
                char type = (char) received.readByte();
                received.readInt();
                byte[] body = new byte[length - 4];
                received.readBytes(body);
                out.add(new Message(type, body));
            }
            return out;
        }

        /** The single message received next, which must be an ErrorResponse. */
        Message error() {
            List<Message> m = messages();
            if (m.size() != 1 || m.getFirst().type() != 'E') {
                throw new AssertionError("expected one ErrorResponse, got " + m);
            }
            return m.getFirst();
        }

        /** The raw bytes received so far, consumed (for the one-byte answers to SSLRequest and GSSENCRequest). */
        byte[] takeBytes() {
            poll();
            byte[] out = new byte[received.readableBytes()];
            received.readBytes(out);
            return out;
        }

        boolean isOpen() {
            return proxySide.isOpen();
        }
    }

    /** A backend message as the client sees it. */
    record Message(char type, byte[] body) {
        /** A field of an ErrorResponse ('C' SQLSTATE, 'M' message). */
        String field(char code) {
            int i = 0;
            while (i < body.length && body[i] != 0) {
                int end = i + 1;
                while (body[end] != 0) {
                    end++;
                }
                if (body[i] == code) {
                    return new String(body, i + 1, end - i - 1, StandardCharsets.UTF_8);
                }
                i = end + 1;
            }
            return null;
        }

        int authCode() {
            return java.nio.ByteBuffer.wrap(body).getInt();
        }

        @Override
        public String toString() {
            return type == 'E' ? "E " + field('C') + " " + field('M') : type + "[" + body.length + "]";
        }
    }
}
