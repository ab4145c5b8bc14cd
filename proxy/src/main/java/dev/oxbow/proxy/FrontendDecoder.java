package dev.oxbow.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;

import java.util.List;

/**
 * Frames client bytes into {@link PgPacket}s: untyped length-prefixed packets until the startup message,
 * typed messages after it. Sizes are bounded so a hostile client cannot make the proxy buffer much.
 */
final class FrontendDecoder extends ByteToMessageDecoder {
    private static final int MAX_STARTUP = 10_000;
    private static final int MAX_AUTH_MESSAGE = 16_384;
    private boolean typed;

    void expectTyped() {
        typed = true;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        int header = typed ? 5 : 4;
        if (in.readableBytes() < header) {
            return;
        }
        int start = in.readerIndex();
        char type = typed ? (char) in.getUnsignedByte(start) : 0;
        int length = in.getInt(start + (typed ? 1 : 0));
        int max = typed ? MAX_AUTH_MESSAGE : MAX_STARTUP;
        if (length < 4 || length > max || (!typed && length < 8)) {
            throw new PgWire.ProtocolException("invalid message length " + length);
        }
        int total = length + (typed ? 1 : 0);
        if (in.readableBytes() < total) {
            return;
        }
        in.skipBytes(header);
        out.add(new PgPacket(type, in.readRetainedSlice(length - 4)));
    }
}
