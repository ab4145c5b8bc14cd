package dev.oxbow.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * One backend started ahead, per endpoint and event loop, for the next direct login with the same startup message: a
 * compute backend's start (fork, authentication on the socket, backend initialisation: ~5-7 ms here) is taken off the
 * login's path, as PgBouncer's pool does, without reusing any session: a spare has run no query, it is handed out once
 * and only to a login whose role, database and every startup parameter are the ones it was started with, on the same
 * compute socket. It is closed when not taken within its time to live (so the role's and database's settings it was
 * started with are at most that old, like a session that connected that much earlier), when it fails or its compute
 * stops, and when the endpoint's sessions are ended. It does not count as activity: an idle endpoint still suspends.
 */
final class SpareBackends {
    /** What a spare must have been started with to serve a login: the endpoint whose sessions it joins, its socket, the startup parameters. */
    record Key(String endpointUid, Path socketDir, Map<String, String> startup) {
        Key {
            startup = Map.copyOf(startup);
        }
    }

    private record Slot(String endpointUid, EventLoop loop) {}

    /** Bounds what a spare may hold before it is handed out: a backend's start says a few hundred bytes. */
    private static final int MAX_HELD = 16_384;

    private final ComputeLink computes;
    private final Duration timeToLive;
    private final Map<Slot, Spare> spares = new ConcurrentHashMap<>();

    /** {@code timeToLive} zero: no spares (in-memory tests that play each compute connection themselves). */
    SpareBackends(ComputeLink computes, Duration timeToLive) {
        this.computes = computes;
        this.timeToLive = timeToLive;
    }

    /**
     * The ready spare for {@code key} on {@code loop}, now the caller's (it is no longer counted here): add the session's
     * handlers to its pipeline, then {@link Spare#handOver()} passes on the compute's greeting. Empty when there is none.
     * Called on {@code loop}.
     */
    Optional<Spare> take(EventLoop loop, Key key) {
        Slot slot = new Slot(key.endpointUid(), loop);
        Spare spare = spares.get(slot);
        if (spare == null || !spare.key.equals(key) || !spare.hold.ready || !spare.channel.isActive() || !spares.remove(slot, spare)) {
            return Optional.empty();
        }
        spare.expiry.cancel(false);
        return Optional.of(spare);
    }

    /**
     * Starts a spare for {@code key} on {@code loop} unless one for it is there already; a spare for another key in that
     * slot is closed (the latest login's key wins). Takes ownership of {@code startupMessage}. Called on {@code loop}.
     */
    void prepare(EventLoop loop, Key key, ByteBuf startupMessage) {
        if (timeToLive.isZero()) {
            startupMessage.release();
            return;
        }
        Slot slot = new Slot(key.endpointUid(), loop);
        Spare there = spares.get(slot);
        if (there != null && there.key.equals(key)) {
            startupMessage.release();
            return;
        }
        Hold hold = new Hold();
        var connect = computes.connect(loop, key.socketDir(), new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.pipeline().addLast("spare", hold);
            }
        });
        Spare spare = new Spare(key, connect.channel(), hold, loop.schedule(() -> { connect.channel().close(); }, timeToLive.toNanos(),
                TimeUnit.NANOSECONDS));
        Spare replaced = spares.put(slot, spare);
        if (replaced != null) {
            replaced.close();
        }
        connect.channel().closeFuture().addListener(f -> {
            spares.remove(slot, spare);
            spare.expiry.cancel(false);
        });
        connect.addListener((ChannelFutureListener) f -> {
            if (f.isSuccess()) {
                f.channel().writeAndFlush(startupMessage);
            } else {
                startupMessage.release();
            }
        });
    }

    /** Closes the endpoint's spares (its sessions are being ended, e.g. a suspend). */
    void closeAll(String endpointUid) {
        spares.forEach((slot, spare) -> {
            if (slot.endpointUid().equals(endpointUid) && spares.remove(slot, spare)) {
                spare.close();
            }
        });
    }

    /** Spares held now, ready or starting. */
    int count() {
        return spares.size();
    }

    /** A spare handed to a login. */
    static final class Spare {
        private final Key key;
        private final Channel channel;
        private final Hold hold;
        private final ScheduledFuture<?> expiry;

        private Spare(Key key, Channel channel, Hold hold, ScheduledFuture<?> expiry) {
            this.key = key;
            this.channel = channel;
            this.hold = hold;
            this.expiry = expiry;
        }

        Channel channel() {
            return channel;
        }

        /** Passes the compute's greeting (and anything after it) down the pipeline and steps aside. On the channel's loop. */
        void handOver() {
            hold.handOver();
        }

        private void close() {
            expiry.cancel(false);
            channel.close();
        }
    }

    /**
     * Holds a spare's greeting from the compute (authentication ok, parameters, key, ReadyForQuery) until a login takes
     * it; an error from the compute (e.g. too many connections, or a shutdown) closes the spare, which then serves no one.
     */
    static final class Hold extends ChannelInboundHandlerAdapter {
        private ByteBuf held;
        /** Bytes of {@code held} already parsed into whole messages. */
        private int parsed;
        private boolean ready;
        private ChannelHandlerContext ctx;

        boolean ready() {
            return ready;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf in = (ByteBuf) msg;
            if (held == null) {
                held = ctx.alloc().buffer(Math.max(512, in.readableBytes()));
            }
            if (held.readableBytes() + in.readableBytes() > MAX_HELD) {
                in.release();
                ctx.close();
                return;
            }
            held.writeBytes(in);
            in.release();
            while (held.readableBytes() - parsed >= 5) {
                int start = held.readerIndex() + parsed;
                char type = (char) held.getUnsignedByte(start);
                int length = held.getInt(start + 1);
                if (length < 4) {
                    ctx.close(); // not Postgres framing
                    return;
                }
                if (held.readableBytes() - parsed < length + 1) {
                    break;
                }
                parsed += length + 1;
                if (type == 'E') {
                    ctx.close(); // refused or terminated: a login gets a backend of its own instead
                    return;
                }
                if (type == 'Z') {
                    ready = true;
                }
            }
        }

        private void handOver() {
            ByteBuf all = held;
            held = null;
            if (all != null) {
                ctx.fireChannelRead(all);
                ctx.fireChannelReadComplete();
            }
            ctx.pipeline().remove(this);
        }

        @Override
        public void handlerRemoved(ChannelHandlerContext ctx) {
            if (held != null) {
                held.release();
                held = null;
            }
        }
    }
}
