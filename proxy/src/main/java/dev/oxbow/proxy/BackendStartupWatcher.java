package dev.oxbow.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

import java.util.function.BiConsumer;

/**
 * Watches the compute's first messages (up to ReadyForQuery) for BackendKeyData, so cancel requests can be
 * routed later, then steps aside. Bytes pass through unchanged.
 */
final class BackendStartupWatcher extends ChannelInboundHandlerAdapter {
    private final BiConsumer<Integer, Integer> onKey;
    private ByteBuf pending;

    BackendStartupWatcher(BiConsumer<Integer, Integer> onKey) {
        this.onKey = onKey;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf in = (ByteBuf) msg;
        pending = pending == null ? in.alloc().buffer() : pending;
        pending.writeBytes(in, in.readerIndex(), in.readableBytes());
        boolean ready = false;
        while (pending.readableBytes() >= 5) {
            int start = pending.readerIndex();
            char type = (char) pending.getUnsignedByte(start);
            int length = pending.getInt(start + 1);
            if (pending.readableBytes() < length + 1) {
                break;
            }
            if (type == 'K' && length >= 12) {
                onKey.accept(pending.getInt(start + 5), pending.getInt(start + 9));
            }
            pending.skipBytes(length + 1);
            if (type == 'Z' || type == 'E') {
                ready = true;
                break;
            }
        }
        pending.discardReadBytes();
        if (ready) {
            pending.release();
            pending = null;
            ctx.pipeline().remove(this);
        }
        ctx.fireChannelRead(in);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (pending != null) {
            pending.release();
            pending = null;
        }
    }
}
