package dev.oxbow.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/** On the pooler's side of a pooled session: each ReadyForQuery PgBouncer sends tells the lease where the session is. */
final class PooledReadyWatcher extends ChannelInboundHandlerAdapter {
    private final MessageFraming framing;

    PooledReadyWatcher(PooledLease lease) {
        this.framing = new MessageFraming((type, first) -> {
            if (type == 'Z') {
                lease.ready(first);
            }
        });
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        framing.scan((ByteBuf) msg);
        ctx.fireChannelRead(msg);
    }
}
