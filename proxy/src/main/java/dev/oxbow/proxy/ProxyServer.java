package dev.oxbow.proxy;

import dev.oxbow.auth.TokenService;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.Mapping;
import io.netty.util.concurrent.DefaultThreadFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The only door to the computes: a Postgres-protocol server on TCP that terminates TLS, routes by SNI or
 * options, authenticates, wakes suspended computes and splices each client to its compute's unix socket.
 */
public final class ProxyServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ProxyServer.class);
    /**
     * How long a spare backend waits for the next login like the last one: a burst of connects, not a pool. Under the
     * 5 s PostgreSQL's DROP DATABASE (and CREATE DATABASE … TEMPLATE) waits for other sessions of the database to end,
     * so a spare of a database the client just left only delays its drop, never fails it.
     */
    static final java.time.Duration SPARE_TIME_TO_LIVE = java.time.Duration.ofSeconds(3);
    private static final String TOO_MANY_CONNECTIONS = "53300";

    private final ProxyConfig config;
    private final ProxyBackend backend;
    private final TokenService tokens;
    private final SslContext ssl;
    private final ComputeLink computes;
    private final PendingLogins pendingLogins;
    private final CancelKeys cancelKeys = new CancelKeys();
    private final OpenSessions sessions = new OpenSessions();
    private final CancelThrottle cancelThrottle;
    private final LoginChecks loginChecks;
    private final SpareBackends spares;
    /** Where login checks run: off the event loops, which relay other sessions meanwhile. */
    private final Executor loginWork;
    /** The login threads this server made and closes, or null when it was given an executor. */
    private final ExecutorService ownLoginThreads;
    private EventLoopGroup boss;
    private EventLoopGroup workers;
    private final java.util.List<Channel> listeners = new java.util.ArrayList<>();
    private boolean closed;

    public ProxyServer(ProxyConfig config, ProxyBackend backend, TokenService tokens, SslContext ssl) {
        // the property (seconds, 0: none) is for benches that measure a peer without spares
        this(config, backend, tokens, ssl, new UnixComputeLink(), loginThreads(),
                java.time.Duration.ofSeconds(Long.getLong("oxbow.proxy.spareBackendSeconds", SPARE_TIME_TO_LIVE.toSeconds())));
    }

    /** With another way to reach computes (in-memory channels in tests), login checks run inline. */
    ProxyServer(ProxyConfig config, ProxyBackend backend, TokenService tokens, SslContext ssl, ComputeLink computes) {
        this(config, backend, tokens, ssl, computes, Runnable::run);
    }

    /** In-memory computes the test plays connection by connection: no spare backends, which would open connections of their own. */
    ProxyServer(ProxyConfig config, ProxyBackend backend, TokenService tokens, SslContext ssl, ComputeLink computes, Executor loginWork) {
        this(config, backend, tokens, ssl, computes, loginWork, java.time.Duration.ZERO);
    }

    ProxyServer(ProxyConfig config, ProxyBackend backend, TokenService tokens, SslContext ssl, ComputeLink computes, Executor loginWork,
                java.time.Duration spareTimeToLive) {
        this.loginWork = loginWork;
        this.ownLoginThreads = loginWork instanceof ExecutorService own ? own : null;
        this.loginChecks = new LoginChecks(backend, tokens, config.domain());
        this.config = config;
        this.backend = backend;
        this.tokens = tokens;
        this.ssl = ssl;
        this.computes = computes;
        this.spares = new SpareBackends(computes, spareTimeToLive);
        this.pendingLogins = new PendingLogins(config.login().maxPending(), config.login().maxPendingPerAddress());
        this.cancelThrottle = new CancelThrottle(config.login().cancelBurst(), config.login().cancelsPerSecond(), System::nanoTime);
    }

    /** Binds and returns the port (useful with port 0). */
    public synchronized int start() throws InterruptedException {
        boss = new EpollEventLoopGroup(1, new DefaultThreadFactory("oxbow-proxy-accept"));
        // one loop per core: more loops than cores only adds context switches on the hot path (named: benches meter their CPU)
        workers = new EpollEventLoopGroup(Runtime.getRuntime().availableProcessors(), new DefaultThreadFactory("oxbow-proxy-loop"));
        ServerBootstrap b = new ServerBootstrap()
                .group(boss, workers)
                .channel(EpollServerSocketChannel.class)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        initClient(ch, ch.remoteAddress().getAddress());
                    }
                });
        int port = config.port();
        for (String host : config.listenAddresses()) {
            InetAddress address = resolve(host);
            if (listeners.isEmpty() || isLocal(address)) {
                Channel listener = b.bind(address, port).sync().channel();
                listeners.add(listener);
                port = ((InetSocketAddress) listener.localAddress()).getPort();
            } else {
                // e.g. ::1 where IPv6 is off: the other addresses still serve
                log.warn("proxy not listening on an address this machine does not have host={}", host);
            }
        }
        if (listeners.isEmpty()) {
            throw new IllegalArgumentException("no address to listen on: '" + config.host() + "'");
        }
        log.info("proxy listening host={} port={} domain={} login_timeout={} max_pending_logins={} per_address={}", config.host(), port,
                config.domain(), config.login().timeout(), config.login().maxPending(), config.login().maxPendingPerAddress());
        return port;
    }

    private static InetAddress resolve(String host) {
        try {
            return InetAddress.getByName(host);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException("cannot listen on '" + host + "': unknown host", e);
        }
    }

    /** A wildcard, or an address of one of this machine's interfaces. */
    private static boolean isLocal(InetAddress address) {
        try {
            return address.isAnyLocalAddress() || java.net.NetworkInterface.getByInetAddress(address) != null;
        } catch (java.net.SocketException e) {
            return false;
        }
    }

    /**
     * Sets up a new client connection. It counts against the caps on connections that have not logged in; one
     * pushed out by a newer one is told so by its session (53300, as Postgres says when it is full).
     */
    void initClient(Channel ch, InetAddress clientAddress) {
        PendingLogins.Permit permit = pendingLogins.admit(clientAddress,
                reason -> ch.eventLoop().execute(() -> ch.pipeline().fireUserEventTriggered(new ClientSession.LoginEvicted(reason))));
        ch.closeFuture().addListener(f -> permit.release());
        FrontendDecoder decoder = new FrontendDecoder();
        ch.pipeline().addLast("direct-tls", new DirectTlsDetector(sniMapping()));
        ch.pipeline().addLast("idle", new IdleStateHandler(0, 0, config.idleTimeout().toMillis(), TimeUnit.MILLISECONDS));
        ch.pipeline().addLast("frames", decoder);
        ch.pipeline().addLast("session", new ClientSession(this, decoder, permit, clientAddress));
        var lifetime = ch.eventLoop().schedule(() -> ch.close(), config.maxLifetime().toMillis(), TimeUnit.MILLISECONDS);
        ch.closeFuture().addListener(f -> lifetime.cancel(false));
    }

    /**
     * One platform thread per core (the checks are CPU work and SQLite reads, which a virtual thread would pin anyway);
     * the queue is bounded by the pending-login caps.
     */
    private static ExecutorService loginThreads() {
        return Executors.newFixedThreadPool(Runtime.getRuntime().availableProcessors(),
                Thread.ofPlatform().name("oxbow-proxy-login-", 0).daemon(true).factory());
    }

    ProxyConfig config() { return config; }
    LoginChecks loginChecks() { return loginChecks; }
    Executor loginWork() { return loginWork; }
    ProxyBackend backend() { return backend; }
    TokenService tokens() { return tokens; }
    PendingLogins pendingLogins() { return pendingLogins; }
    CancelKeys cancelKeys() { return cancelKeys; }

    Mapping<String, SslContext> sniMapping() {
        return host -> ssl;
    }

    /**
     * Connects to the compute's socket, sends the startup message and relays the compute's replies to the client,
     * with the compute's cancel key swapped for one the proxy issues. A pooled session ({@code lease} not null) goes to
     * the endpoint's pooler and is not ended by a suspend: its idle clients outlive the compute's server.
     * {@code onReady} runs once the compute's ReadyForQuery (or error) went to the client.
     */
    ChannelFuture connectBackend(Channel client, String endpointUid, Path socketDir, ByteBuf startupMessage, PooledLease lease,
                                 RelayIdleTimer idle, java.util.function.Consumer<String> onReady) {
        ChannelFuture connect = computes.connect(client.eventLoop(), socketDir, new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                relayBackend(ch, client, endpointUid, socketDir, lease, idle, onReady);
            }
        });
        connect.addListener((ChannelFutureListener) f -> {
            if (f.isSuccess()) {
                f.channel().writeAndFlush(startupMessage);
            } else {
                startupMessage.release();
            }
        });
        return connect;
    }

    /**
     * A direct session's backend: a spare started ahead with the same startup message when there is one (its greeting
     * goes to the client right after the caller's listeners ran, as a new backend's would), else a new one; either way a
     * spare for the next such login is started, after this one's backend is ready. {@code onReady} is told which it was.
     */
    ChannelFuture connectDirect(Channel client, SpareBackends.Key key, ByteBuf startupMessage, RelayIdleTimer idle,
                                java.util.function.Consumer<Boolean> onReady) {
        EventLoop loop = client.eventLoop();
        var spare = spares.take(loop, key);
        if (spare.isPresent()) {
            Channel ch = spare.get().channel();
            relayBackend(ch, client, key.endpointUid(), key.socketDir(), null, idle, sqlState -> onReady.accept(true));
            loop.execute(() -> {
                spare.get().handOver();
                spares.prepare(loop, key, startupMessage);
            });
            return ch.newSucceededFuture();
        }
        ByteBuf forSpare = startupMessage.retainedDuplicate();
        ChannelFuture connect = connectBackend(client, key.endpointUid(), key.socketDir(), startupMessage, null, idle, sqlState -> {
            onReady.accept(false);
            if (sqlState == null) {
                spares.prepare(loop, key, forSpare);
                return;
            }
            forSpare.release();
            if (TOO_MANY_CONNECTIONS.equals(sqlState)) {
                // the spares count against max_connections and the role's CONNECTION LIMIT: free their slots for the retry
                spares.closeAll(key.endpointUid());
            }
        });
        connect.addListener(f -> {
            if (!f.isSuccess()) {
                forSpare.release();
            }
        });
        return connect;
    }

    /** The handlers of a backend channel that serves {@code client}: key swap, then session end on suspend (direct) or pool lease, then the relay. */
    private void relayBackend(Channel ch, Channel client, String endpointUid, Path socketDir, PooledLease lease, RelayIdleTimer idle,
                              java.util.function.Consumer<String> onReady) {
        ch.pipeline().addLast("watch", new BackendStartupWatcher((pid, secret) -> {
            CancelKeys.Key key = cancelKeys.issue(socketDir, pid, secret);
            ch.closeFuture().addListener(f -> cancelKeys.remove(key));
            return key.secret();
        }, onReady));
        if (lease != null) {
            ch.pipeline().addLast("pooled", new PooledReadyWatcher(lease));
        } else {
            SessionTerminator terminator = new SessionTerminator(client);
            ch.pipeline().addLast("terminator", terminator);
            sessions.add(endpointUid, client, terminator);
            ch.closeFuture().addListener(f -> sessions.remove(endpointUid, client));
        }
        ch.pipeline().addLast("relay", new Relay(client, idle));
    }

    /** Spares held now (tests). */
    int spareBackends() {
        return spares.count();
    }

    /**
     * Ends every open session of the endpoint with FATAL 57P01 and {@code message}, each between two of its
     * compute's messages (see {@link SessionTerminator}); the future completes when all their clients are closed.
     */
    public java.util.concurrent.CompletableFuture<Void> endSessions(String endpointUid, String message) {
        spares.closeAll(endpointUid);
        return sessions.endAll(endpointUid, message);
    }

    /**
     * Forwards a CancelRequest to the compute session the key was issued for. Unknown keys are ignored, as
     * Postgres does; every request counts against its network's cancel budget, so keys cannot be searched for.
     */
    void cancel(EventLoop loop, InetAddress source, int pid, int secret) {
        if (!cancelThrottle.tryAcquire(source)) {
            log.debug("cancel request throttled remote={}", source);
            return;
        }
        cancelKeys.find(pid, secret).ifPresent(target -> computes.cancel(loop, target.socketDir(), target.pid(), target.secret()));
    }

    /** Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        listeners.forEach(l -> l.close().syncUninterruptibly());
        if (workers != null) {
            workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
            boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
        if (ownLoginThreads != null) {
            ownLoginThreads.shutdownNow();
        }
    }
}
