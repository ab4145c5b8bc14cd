package dev.oxbow.proxy;

import dev.oxbow.auth.TokenService;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.Mapping;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The only door to the computes: a Postgres-protocol server on TCP that terminates TLS, routes by SNI or
 * options, authenticates, wakes suspended computes and splices each client to its compute's unix socket.
 */
public final class ProxyServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ProxyServer.class);

    private final ProxyConfig config;
    private final ProxyBackend backend;
    private final TokenService tokens;
    private final SslContext ssl;
    private final EventLoopGroup boss = new EpollEventLoopGroup(1);
    // one loop per core: more loops than cores only adds context switches on the hot path
    private final EventLoopGroup workers = new EpollEventLoopGroup(Runtime.getRuntime().availableProcessors());
    /** Backend cancel keys (pid, secret) → the compute socket that issued them. */
    private final Map<Long, Path> cancelKeys = new ConcurrentHashMap<>();
    private Channel listener;
    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

    public ProxyServer(ProxyConfig config, ProxyBackend backend, TokenService tokens, SslContext ssl) {
        this.config = config;
        this.backend = backend;
        this.tokens = tokens;
        this.ssl = ssl;
    }

    /** Binds and returns the port (useful with port 0). */
    public int start() throws InterruptedException {
        ServerBootstrap b = new ServerBootstrap()
                .group(boss, workers)
                .channel(EpollServerSocketChannel.class)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        FrontendDecoder decoder = new FrontendDecoder();
                        ch.pipeline().addLast("idle", new IdleStateHandler(0, 0, config.idleTimeout().toMillis(), TimeUnit.MILLISECONDS));
                        ch.pipeline().addLast("frames", decoder);
                        ch.pipeline().addLast("session", new ClientSession(ProxyServer.this, decoder));
                        var lifetime = ch.eventLoop().schedule(() -> ch.close(), config.maxLifetime().toMillis(), TimeUnit.MILLISECONDS);
                        ch.closeFuture().addListener(f -> lifetime.cancel(false));
                    }
                });
        listener = b.bind(config.host(), config.port()).sync().channel();
        int port = ((InetSocketAddress) listener.localAddress()).getPort();
        log.info("proxy listening host={} port={} domain={}", config.host(), port, config.domain());
        return port;
    }

    ProxyConfig config() { return config; }
    ProxyBackend backend() { return backend; }
    TokenService tokens() { return tokens; }

    Mapping<String, SslContext> sniMapping() {
        return host -> ssl;
    }

    /** Connects to the compute's socket, sends the startup message and relays the compute's replies to the client. */
    ChannelFuture connectBackend(Channel client, Path socketDir, ByteBuf startupMessage) {
        Bootstrap b = new Bootstrap()
                .group(client.eventLoop())
                .channel(EpollDomainSocketChannel.class)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast("watch", new BackendStartupWatcher((pid, secret) -> {
                            long key = key(pid, secret);
                            cancelKeys.put(key, socketDir);
                            ch.closeFuture().addListener(f -> cancelKeys.remove(key));
                        }));
                        ch.pipeline().addLast("relay", new Relay(client));
                    }
                });
        ChannelFuture connect = b.connect(new DomainSocketAddress(socketDir.resolve(".s.PGSQL.5432").toFile()));
        connect.addListener((ChannelFutureListener) f -> {
            if (f.isSuccess()) {
                f.channel().writeAndFlush(startupMessage);
            } else {
                startupMessage.release();
            }
        });
        return connect;
    }

    /** Forwards a CancelRequest to the compute that issued the key; unknown keys are ignored, as Postgres does. */
    void cancel(int pid, int secret) {
        Path socketDir = cancelKeys.get(key(pid, secret));
        if (socketDir == null) {
            return;
        }
        new Bootstrap().group(workers).channel(EpollDomainSocketChannel.class)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                    }
                })
                .connect(new DomainSocketAddress(socketDir.resolve(".s.PGSQL.5432").toFile()))
                .addListener((ChannelFutureListener) f -> {
                    if (f.isSuccess()) {
                        ByteBuf b = f.channel().alloc().buffer(16);
                        b.writeInt(16).writeInt(PgWire.CANCEL_REQUEST).writeInt(pid).writeInt(secret);
                        f.channel().writeAndFlush(b).addListener(ChannelFutureListener.CLOSE);
                    }
                });
    }

    private static long key(int pid, int secret) {
        return ((long) pid << 32) | (secret & 0xffffffffL);
    }

    @Override
    public void close() {
        // idempotent: the event loops refuse work once shut down, so a second close must not touch them
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        if (listener != null) {
            listener.close().syncUninterruptibly();
        }
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
