package dev.oxbow.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;

/**
 * On the client's side of a pooled session, before the relay: what the client sends makes the session busy
 * ({@link PooledLease#busy}); while that wakes a suspended compute the client's bytes wait here (reading paused), then
 * go on in order. A compute that cannot wake ends the session with the reason.
 */
final class PooledClientGate extends ChannelInboundHandlerAdapter {
    private final PooledLease lease;
    private final String endpointName;
    private final MessageFraming framing;
    /** Bytes held back while the compute wakes; null when nothing waits. */
    private ArrayDeque<ByteBuf> waiting;

    PooledClientGate(PooledLease lease, String endpointName) {
        this.lease = lease;
        this.endpointName = endpointName;
        this.framing = new MessageFraming((type, first) -> lease.sent(type));
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf in = (ByteBuf) msg;
        framing.scan(in);
        if (waiting != null) {
            waiting.add(in);
            return;
        }
        CompletableFuture<?> busy = lease.busy();
        if (busy.isDone() && !busy.isCompletedExceptionally()) {
            ctx.fireChannelRead(in);
            return;
        }
        waiting = new ArrayDeque<>();
        waiting.add(in);
        ctx.channel().config().setAutoRead(false);
        busy.whenComplete((ok, failure) -> ctx.executor().execute(() -> woken(ctx, failure)));
    }

    private void woken(ChannelHandlerContext ctx, Throwable failure) {
        ArrayDeque<ByteBuf> held = waiting;
        waiting = null;
        if (held == null) {
            return;
        }
        if (failure != null || !ctx.channel().isActive()) {
            held.forEach(ByteBuf::release);
            if (failure != null && ctx.channel().isActive()) {
                Throwable cause = failure.getCause() != null ? failure.getCause() : failure;
                ctx.writeAndFlush(PgWire.fatal(ctx.alloc(), "57P03", "the compute for endpoint " + endpointName
                        + " could not wake: " + cause.getMessage())).addListener(ChannelFutureListener.CLOSE);
            }
            return;
        }
        held.forEach(ctx::fireChannelRead);
        ctx.fireChannelReadComplete();
        ctx.channel().config().setAutoRead(true);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (waiting != null) {
            waiting.forEach(ByteBuf::release);
            waiting = null;
        }
    }
}
