package dev.oxbow.proxy;

import dev.oxbow.auth.ScramException;
import dev.oxbow.auth.ScramServerExchange;
import dev.oxbow.auth.TokenClaims;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SniCompletionEvent;
import io.netty.handler.ssl.SniHandler;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.timeout.IdleStateEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One client connection from its first byte until it is spliced to a compute: TLS, startup, routing,
 * authentication (token or SCRAM), wake-up, and the hand-over. Every refusal is a FATAL ErrorResponse
 * with an SQLSTATE and a message that says what to do.
 */
final class ClientSession extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(ClientSession.class);

    /** CHECKING: a login check runs on a login thread; the client has nothing to say until it answers. */
    private enum State { STARTUP, PASSWORD, SASL_INITIAL, SASL_FINAL, CHECKING, CONNECTING, DONE }

    private final ProxyServer server;
    private final FrontendDecoder decoder;
    private final PendingLogins.Permit loginPermit;
    private final InetAddress clientAddress;
    private ScheduledFuture<?> loginDeadline;
    private LoginTimeline timeline;
    private State state = State.STARTUP;
    private boolean tls;
    private boolean directTls;
    private String sniHost;
    private Map<String, String> startup;
    private ProxyBackend.EndpointTarget target;
    /** Where the login goes and the user's role there; null until routed. */
    private LoginChecks.Routed routed;
    private String options;
    private ScramServerExchange scram;
    private boolean acquired;
    /** The claims of a READ_ONLY scoped credential that logged in, else null. */
    private TokenClaims readOnly;
    /** The past point of a time-travel session, else null. */
    private PastPoint at;
    /** Ends this connection's hold on its time-travel server; null until it has one. */
    private Runnable pastRelease;

    ClientSession(ProxyServer server, FrontendDecoder decoder, PendingLogins.Permit loginPermit, InetAddress clientAddress) {
        this.server = server;
        this.decoder = decoder;
        this.loginPermit = loginPermit;
        this.clientAddress = clientAddress;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        timeline = new LoginTimeline(System::nanoTime);
        long timeout = server.config().login().timeout().toNanos();
        loginDeadline = ctx.executor().schedule(() -> loginTimedOut(ctx), timeout, TimeUnit.NANOSECONDS);
    }

    /** Like Postgres' authentication_timeout: a client that has not logged in by now is dropped. */
    private void loginTimedOut(ChannelHandlerContext ctx) {
        if (state == State.CONNECTING || state == State.DONE || !ctx.channel().isActive()) {
            return;
        }
        if (startup == null) {
            // nothing said yet (or TLS unfinished): nobody to answer
            log.debug("connection closed before login remote={} reason=timeout state={}", clientAddress, state);
            ctx.close();
        } else {
            refuse(ctx, "57014", "canceling authentication due to timeout");
        }
    }

    /** This connection waited longest while the pre-login caps were full, and made room for a newer one. */
    record LoginEvicted(String reason) {}

    private void loginEvicted(ChannelHandlerContext ctx, String reason) {
        if (state == State.CONNECTING || state == State.DONE || !ctx.channel().isActive()) {
            return;
        }
        log.debug("connection closed before login remote={} reason=evicted state={}", clientAddress, state);
        if (startup != null) {
            refuse(ctx, "53300", reason);
        } else if (!tls) {
            state = State.DONE;
            ctx.writeAndFlush(PgWire.fatal(ctx.alloc(), "53300", reason)).addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.close(); // TLS under way: no way to say it
        }
    }

    /** The connection has logged in (or ended): it no longer counts against the pre-login caps. */
    private void loginOver() {
        if (loginDeadline != null) {
            loginDeadline.cancel(false);
        }
        loginPermit.release();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        PgPacket packet = (PgPacket) msg;
        try {
            switch (state) {
                case STARTUP -> onStartupPacket(ctx, packet.body());
                case PASSWORD -> onPassword(ctx, packet);
                case SASL_INITIAL -> onSaslInitial(ctx, packet);
                case SASL_FINAL -> onSaslFinal(ctx, packet);
                default -> refuse(ctx, "08P01", "unexpected message while the connection is being set up");
            }
        } catch (PgWire.ProtocolException | IndexOutOfBoundsException e) {
            refuse(ctx, "08P01", "protocol violation: " + e.getMessage());
        } finally {
            packet.body().release();
        }
    }

    private void onStartupPacket(ChannelHandlerContext ctx, ByteBuf body) {
        int code = body.readInt();
        switch (code) {
            case PgWire.SSL_REQUEST -> {
                if (tls) {
                    refuse(ctx, "08P01", "duplicate SSL request");
                    return;
                }
                tls = true;
                ctx.pipeline().addFirst("tls", new SniHandler(server.sniMapping()));
                ctx.writeAndFlush(Unpooled.wrappedBuffer(new byte[]{'S'}));
            }
            case PgWire.GSSENC_REQUEST -> ctx.writeAndFlush(Unpooled.wrappedBuffer(new byte[]{'N'}));
            case PgWire.CANCEL_REQUEST -> {
                server.cancel(ctx.channel().eventLoop(), clientAddress, body.readInt(), body.readInt());
                ctx.close();
            }
            case PgWire.PROTOCOL_3 -> onStartup(ctx, PgWire.startupParams(body));
            default -> refuse(ctx, "08P01", "unsupported frontend protocol " + (code >> 16) + "." + (code & 0xffff)
                    + ": Oxbow speaks protocol 3.0");
        }
    }

    private void onStartup(ChannelHandlerContext ctx, Map<String, String> params) {
        if (!tls) {
            refuse(ctx, "28000", "connection is insecure: Oxbow requires TLS (use sslmode=require)");
            return;
        }
        timeline.mark(LoginTimeline.Step.STARTUP);
        startup = params;
        String user = params.get("user");
        if (user == null || user.isEmpty()) {
            refuse(ctx, "28000", "no user name given in the startup message");
            return;
        }
        EndpointAddress.Result parsed = EndpointAddress.parse(sniHost, server.config().domain(), params.get("options"));
        if (parsed.address().isEmpty()) {
            refuse(ctx, parsed.sqlState(), parsed.error());
            return;
        }
        EndpointAddress address = parsed.address().get();
        options = address.remainingOptions();
        at = address.at();
        decoder.expectTyped();
        if (!address.named()) {
            // the password names the endpoint, or the token's own endpoint is meant: ask for it first
            state = State.PASSWORD;
            ctx.writeAndFlush(PgWire.authRequest(ctx.alloc(), PgWire.AUTH_CLEARTEXT, new byte[0]));
            return;
        }
        String endpointUid = address.endpointUid();
        check(ctx, () -> server.loginChecks().afterStartup(endpointUid, user));
    }

    /**
     * Runs a login check (metadata lookups, password hashing, token verification) on the proxy's login threads, so the
     * event loop keeps relaying other sessions meanwhile, and applies its outcome back on this channel's loop.
     */
    private void check(ChannelHandlerContext ctx, java.util.function.Supplier<LoginChecks.Outcome> work) {
        state = State.CHECKING;
        java.util.concurrent.CompletableFuture.supplyAsync(work, server.loginWork()).whenComplete((outcome, failure) -> {
            if (ctx.executor().inEventLoop()) {
                checked(ctx, outcome, failure);
            } else {
                ctx.executor().execute(() -> checked(ctx, outcome, failure));
            }
        });
    }

    private void checked(ChannelHandlerContext ctx, LoginChecks.Outcome outcome, Throwable failure) {
        if (state != State.CHECKING || !ctx.channel().isActive()) {
            return; // timed out, evicted, closed or refused meanwhile: nothing was acquired yet
        }
        timeline.mark(LoginTimeline.Step.CHECKED);
        if (failure != null) {
            exceptionCaught(ctx, failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                    ? failure.getCause() : failure);
            return;
        }
        switch (outcome) {
            case LoginChecks.Outcome.Refused r -> {
                routed(r.routed());
                refuse(ctx, r.sqlState(), r.message());
            }
            case LoginChecks.Outcome.AskScram a -> {
                routed(a.routed());
                scram = new ScramServerExchange(a.verifier());
                state = State.SASL_INITIAL;
                ctx.writeAndFlush(PgWire.saslMechanisms(ctx.alloc()));
            }
            case LoginChecks.Outcome.AskPassword a -> {
                routed(a.routed());
                state = State.PASSWORD;
                ctx.writeAndFlush(PgWire.authRequest(ctx.alloc(), PgWire.AUTH_CLEARTEXT, new byte[0]));
            }
            case LoginChecks.Outcome.LoggedIn in -> {
                routed(in.routed());
                readOnly = in.readOnly();
                authenticated(ctx, in.method());
            }
        }
    }

    private void routed(LoginChecks.Routed routed) {
        if (routed != null) {
            this.routed = routed;
            target = routed.target();
        }
    }

    private void onPassword(ChannelHandlerContext ctx, PgPacket packet) {
        if (packet.type() != 'p') {
            refuse(ctx, "08P01", "expected a password message");
            return;
        }
        timeline.mark(LoginTimeline.Step.PASSWORD);
        String user = startup.get("user");
        String password = PgWire.cString(packet.body());
        LoginChecks.Routed known = routed;
        check(ctx, () -> server.loginChecks().password(known, user, password));
    }

    private void onSaslInitial(ChannelHandlerContext ctx, PgPacket packet) {
        if (packet.type() != 'p') {
            refuse(ctx, "08P01", "expected a SASL initial response");
            return;
        }
        String mechanism = PgWire.cString(packet.body());
        if (!"SCRAM-SHA-256".equals(mechanism)) {
            refuse(ctx, "28000", "unsupported SASL mechanism " + mechanism + " (use SCRAM-SHA-256, without channel binding)");
            return;
        }
        int length = packet.body().readInt();
        String clientFirst = packet.body().readCharSequence(Math.max(0, length), StandardCharsets.UTF_8).toString();
        try {
            String serverFirst = scram.handleClientFirst(clientFirst);
            state = State.SASL_FINAL;
            ctx.writeAndFlush(PgWire.authRequest(ctx.alloc(), PgWire.AUTH_SASL_CONTINUE, serverFirst.getBytes(StandardCharsets.UTF_8)));
        } catch (ScramException e) {
            refuse(ctx, "28000", "SCRAM authentication failed: " + e.getMessage());
        }
    }

    private void onSaslFinal(ChannelHandlerContext ctx, PgPacket packet) {
        if (packet.type() != 'p') {
            refuse(ctx, "08P01", "expected a SASL response");
            return;
        }
        String clientFinal = packet.body().toString(StandardCharsets.UTF_8);
        try {
            String serverFinal = scram.handleClientFinal(clientFinal);
            ctx.write(PgWire.authRequest(ctx.alloc(), PgWire.AUTH_SASL_FINAL, serverFinal.getBytes(StandardCharsets.UTF_8)));
            authenticated(ctx, "scram");
        } catch (ScramException e) {
            refuse(ctx, "28P01", "password authentication failed for user \"" + startup.get("user") + "\"");
        }
    }

    /** The client proved who it is: wake the compute (if needed) and hand the connection over. */
    private void authenticated(ChannelHandlerContext ctx, String method) {
        state = State.CONNECTING;
        loginOver();
        Channel client = ctx.channel();
        client.config().setAutoRead(false);
        server.backend().loginAttempt(target, startup.get("user"), String.valueOf(ctx.channel().remoteAddress()), true, method);
        long start = System.nanoTime();
        if (at != null) {
            connectAt(ctx, start);
            return;
        }
        acquired = true;
        var backend = server.backend();
        (target.pooled() ? backend.acquirePooled(target.endpointUid()) : backend.acquire(target.endpointUid()))
                .whenComplete((socketDir, failure) -> client.eventLoop().execute(() -> {
            if (failure != null) {
                Throwable cause = failure.getCause() != null ? failure.getCause() : failure;
                refuse(ctx, "57P03", (target.pooled() ? "the pooled host of endpoint " + target.endpointName() + " is unavailable: "
                        : "the compute for endpoint " + target.endpointName() + " could not start: ") + cause.getMessage());
                return;
            }
            if (!client.isActive()) {
                return;
            }
            timeline.mark(LoginTimeline.Step.ACQUIRED);
            if (readOnly == null) {
                connectBackend(ctx, socketDir, start, startup.get("user"));
                return;
            }
            // a read-only credential's session is a role that can only read its tables: Postgres enforces it, not SET
            server.backend().readOnlyRole(target, socketDir, startup.get("user"), startup.getOrDefault("database", startup.get("user")),
                    readOnly.scope().readOnlyTables(), readOnly.tokenId(), readOnly.expireTime()).whenComplete((role, denied) ->
                    client.eventLoop().execute(() -> {
                        if (denied != null) {
                            Throwable cause = denied.getCause() != null && denied instanceof java.util.concurrent.CompletionException ? denied.getCause() : denied;
                            refuse(ctx, "42501", "the read-only credential cannot log in: " + cause.getMessage());
                        } else if (client.isActive()) {
                            connectBackend(ctx, socketDir, start, role);
                        }
                    }));
        }));
    }

    /**
     * Time travel: the session runs on a read-only server at the past point, which the control plane starts (or shares)
     * for it. The login above was the endpoint's own, so only who may connect to the endpoint may look at its past.
     */
    private void connectAt(ChannelHandlerContext ctx, long start) {
        Channel client = ctx.channel();
        if (target.pooled()) {
            refuse(ctx, "0A000", "a pooled host cannot open a session at a past point: use the endpoint's direct host with at=" + at);
            return;
        }
        if (readOnly != null) {
            // its role is made on the live server; a past server cannot make one, and its whole database is no scope
            refuse(ctx, "0A000", "a read-only scoped credential cannot open a session at a past point: use a database credential"
                    + " (sessions at a past point are read-only anyway)");
            return;
        }
        server.backend().acquireAt(target, at).whenComplete((session, failure) -> client.eventLoop().execute(() -> {
            if (failure != null) {
                Throwable cause = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null ? failure.getCause() : failure;
                if (cause instanceof ProxyBackend.Refused r) {
                    refuse(ctx, r.sqlState(), r.getMessage());
                } else {
                    refuse(ctx, "57P03", "the compute at " + at + " for endpoint " + target.endpointName() + " could not start: " + cause.getMessage());
                }
                return;
            }
            if (!client.isActive()) {
                session.release().run();
                return;
            }
            pastRelease = session.release();
            connectBackend(ctx, session.socketDir(), start, startup.get("user"), session.computeUid());
        }));
    }

    private void connectBackend(ChannelHandlerContext ctx, Path socketDir, long start, String backendUser) {
        connectBackend(ctx, socketDir, start, backendUser, target.endpointUid());
    }

    /** {@code sessionsUid}: which compute's sessions this one counts among (ended together when it is suspended). */
    private void connectBackend(ChannelHandlerContext ctx, Path socketDir, long start, String backendUser, String sessionsUid) {
        Map<String, String> params = new LinkedHashMap<>();
        params.put("user", backendUser);
        params.put("database", startup.getOrDefault("database", startup.get("user")));
        startup.forEach((k, v) -> {
            if (!k.equals("user") && !k.equals("database") && !k.equals("options")) {
                params.put(k, v);
            }
        });
        if (options != null && !options.isBlank()) {
            params.put("options", options);
        }
        PooledLease lease = null;
        if (target.pooled()) {
            // the lease takes over the login's count: from now on the session counts only while a query is in flight
            lease = new PooledLease(server.backend(), target.endpointUid());
            acquired = false;
            PooledLease ended = lease;
            ctx.channel().closeFuture().addListener(f -> ended.closed());
        }
        PooledLease pooledLease = lease;
        RelayIdleTimer idle = new RelayIdleTimer(server.config().idleTimeout());
        ByteBuf startupMessage = PgWire.startup(ctx.alloc(), params);
        // a spare backend only for a plain direct session: a read-only credential's role and a past point are made per login
        (lease == null && readOnly == null && at == null
                ? server.connectDirect(ctx.channel(), new SpareBackends.Key(sessionsUid, socketDir, params), startupMessage, idle,
                        spare -> timeline.ready(target.endpointName(), false, spare))
                : server.connectBackend(ctx.channel(), sessionsUid, socketDir, startupMessage, lease, idle,
                        sqlState -> timeline.ready(target.endpointName(), target.pooled(), false)))
                .addListener((ChannelFutureListener) f -> {
            if (!f.isSuccess()) {
                // the cause names server paths: it goes to the log, not to the client
                log.warn("compute unreachable endpoint={} cause={}", target.endpointName(), f.cause().toString());
                refuse(ctx, "57P03", "cannot reach the compute for endpoint " + target.endpointName() + ": try again");
                return;
            }
            state = State.DONE;
            timeline.mark(LoginTimeline.Step.BACKEND_CONNECTED);
            Channel backend = f.channel();
            log.debug("client connected endpoint={} user={} wake_ms={}", target.endpointName(), startup.get("user"),
                    (System.nanoTime() - start) / 1_000_000);
            if (pooledLease != null) {
                ctx.pipeline().addLast("pooled", new PooledClientGate(pooledLease, target.endpointName()));
            }
            ctx.pipeline().addLast("relay", new Relay(backend, idle));
            // the relays stamp their own activity from now on: no promise and listener on every write to the client
            if (ctx.pipeline().get("idle") != null) {
                ctx.pipeline().remove("idle");
            }
            idle.start(ctx.channel());
            // this handler first, so bytes the decoder still holds flow straight to the relay
            ctx.pipeline().remove(this);
            ctx.pipeline().remove(decoder);
            // if the compute cannot take more yet, its relay resumes the client once it drains
            ctx.channel().config().setAutoRead(backend.isWritable());
        });
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof SslHandshakeCompletionEvent hs && hs.isSuccess()) {
            timeline.mark(LoginTimeline.Step.TLS_DONE);
        }
        if (evt instanceof SniCompletionEvent sni) {
            sniHost = sni.hostname();
        } else if (evt instanceof DirectTlsDetector.Started) {
            tls = true;
            directTls = true;
        } else if (evt instanceof SslHandshakeCompletionEvent hs && !hs.isSuccess()) {
            log.debug("tls handshake failed remote={} cause={}", ctx.channel().remoteAddress(), hs.cause().getMessage());
            ctx.close();
        } else if (evt instanceof SslHandshakeCompletionEvent && directTls
                && !PgWire.ALPN.equals(ctx.pipeline().get(SslHandler.class).applicationProtocol())) {
            // as PostgreSQL 17: direct TLS only with ALPN "postgresql", so another protocol's client cannot be confused for us
            refuse(ctx, "08P01", "direct TLS connections must negotiate the ALPN protocol \"" + PgWire.ALPN + "\"");
        } else if (evt instanceof IdleStateEvent) {
            ctx.close();
        } else if (evt instanceof LoginEvicted evicted) {
            loginEvicted(ctx, evicted.reason());
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        loginOver();
        releaseIfAcquired();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        loginOver();
        if (state == State.DONE) {
            // the relay now owns the connection; release happens when it closes
            ctx.channel().closeFuture().addListener(f -> releaseIfAcquired());
        }
    }

    private void releaseIfAcquired() {
        if (pastRelease != null) {
            Runnable release = pastRelease;
            pastRelease = null;
            release.run();
        }
        if (acquired) {
            acquired = false;
            server.backend().release(target.endpointUid());
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof io.netty.handler.codec.DecoderException || cause instanceof java.io.IOException) {
            log.debug("client connection dropped remote={} cause={}", ctx.channel().remoteAddress(), cause.toString());
        } else {
            log.warn("client connection failed remote={} cause={}", ctx.channel().remoteAddress(), cause.toString(), cause);
        }
        ctx.close();
    }

    private void refuse(ChannelHandlerContext ctx, String sqlState, String message) {
        state = State.DONE;
        if (startup != null) {
            server.backend().loginAttempt(target, startup.get("user"), String.valueOf(ctx.channel().remoteAddress()), false,
                    sqlState + " " + message);
        }
        log.info("connection refused remote={} endpoint={} user={} sqlstate={} reason={}", ctx.channel().remoteAddress(),
                target == null ? "-" : target.endpointName(), startup == null ? "-" : startup.get("user"), sqlState, message);
        if (ctx.channel().isActive()) {
            ctx.writeAndFlush(PgWire.fatal(ctx.alloc(), sqlState, message)).addListener(ChannelFutureListener.CLOSE);
        }
    }
}
