package dev.oxbow.proxy;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.timeout.IdleStateEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Copies bytes from its channel to {@code peer}, flushing once per read burst, and pauses reading while
 * the peer cannot keep up: the peer's own relay resumes this side when the peer's write buffer drains.
 * Closing either side closes the other.
 */
final class Relay extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(Relay.class);
    /** A pause this long is logged once: the peer stopped reading (a stalled client, or a compute blocked on a lock). */
    private static final Duration LONG_PAUSE = Duration.ofSeconds(60);

    private final Channel peer;
    /** The session's idle timer, stamped once per read burst; null when something else watches idleness. */
    private final RelayIdleTimer idle;
    private long pauses;
    private boolean pauseWatched;

    Relay(Channel peer) {
        this(peer, null);
    }

    Relay(Channel peer, RelayIdleTimer idle) {
        this.peer = peer;
        this.idle = idle;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        peer.closeFuture().addListener(f -> ctx.channel().close());
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        peer.write(msg, peer.voidPromise());
        if (!peer.isWritable()) {
            // Pause before flushing: the flush may drain the peer at once, and the writability event it fires
            // inside the flush (which resumes this side through the peer's relay) must not be undone afterwards.
            ctx.channel().config().setAutoRead(false);
            pauses++;
            if (!pauseWatched) {
                watchPause(ctx, pauses);
            }
            peer.flush();
            if (peer.isWritable()) {
                ctx.channel().config().setAutoRead(true);
            }
        }
    }

    private void watchPause(ChannelHandlerContext ctx, long pause) {
        pauseWatched = true;
        ctx.executor().schedule(() -> {
            pauseWatched = false;
            if (ctx.channel().config().isAutoRead() || !ctx.channel().isActive()) {
                return;
            }
            if (pauses == pause) {
                log.info("relay paused: the other side has not taken data for {} s from={} to={}", LONG_PAUSE.toSeconds(),
                        ctx.channel().remoteAddress(), peer.remoteAddress());
            } else {
                watchPause(ctx, pauses); // paused again since: watch the latest pause
            }
        }, LONG_PAUSE.toNanos(), TimeUnit.NANOSECONDS);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        peer.flush();
        if (idle != null) {
            idle.touch();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        // our channel drained: let the peer read again
        if (ctx.channel().isWritable()) {
            peer.config().setAutoRead(true);
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (peer.isActive()) {
            peer.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent) {
            ctx.close();
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
