package dev.oxbow.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * On the compute's side of a session: follows the message framing of what the compute sends the client (type
 * byte, length, body) without holding anything back, so that the proxy can end the session with an
 * ErrorResponse of its own between two of the compute's messages, never inside one. {@link #terminate} (on the
 * channel's event loop) sends it at once when the stream is between messages, else right after the message in
 * flight, drops what follows, and closes the client (which closes the compute's side too).
 */
final class SessionTerminator extends ChannelInboundHandlerAdapter {
    private final Channel client;
    /** Bytes of the current message's 5-byte header seen so far (0 = between messages or inside a body). */
    private int headerSeen;
    private final byte[] header = new byte[5];
    /** Bytes of the current message's body still to come. */
    private long bodyLeft;
    private ByteBuf pendingError;
    private boolean terminated;

    SessionTerminator(Channel client) {
        this.client = client;
    }

    /** Ends the session with {@code error} (a whole message) at the next message boundary; takes ownership of it. */
    void terminate(ByteBuf error) {
        if (terminated || pendingError != null) {
            error.release();
            return;
        }
        pendingError = error;
        if (atBoundary()) {
            sendErrorAndClose();
        }
    }

    private boolean atBoundary() {
        return headerSeen == 0 && bodyLeft == 0;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (terminated) {
            ((ByteBuf) msg).release();
            return;
        }
        ByteBuf in = (ByteBuf) msg;
        int end = in.writerIndex();
        int at = in.readerIndex();
        while (at < end) {
            if (pendingError != null && atBoundary()) {
                break;
            }
            if (bodyLeft > 0) {
                int skip = (int) Math.min(bodyLeft, end - at);
                bodyLeft -= skip;
                at += skip;
            } else {
                header[headerSeen++] = in.getByte(at++);
                if (headerSeen == header.length) {
                    headerSeen = 0;
                    int length = ((header[1] & 0xff) << 24) | ((header[2] & 0xff) << 16) | ((header[3] & 0xff) << 8) | (header[4] & 0xff);
                    bodyLeft = Math.max(0, length - 4L);
                }
            }
        }
        if (pendingError != null && atBoundary()) {
            // what came before the boundary goes on; the rest is never sent
            if (at > in.readerIndex()) {
                ctx.fireChannelRead(in.retainedSlice(in.readerIndex(), at - in.readerIndex()));
                ctx.fireChannelReadComplete();
            }
            in.release();
            sendErrorAndClose();
        } else {
            ctx.fireChannelRead(in);
        }
    }

    private void sendErrorAndClose() {
        terminated = true;
        ByteBuf error = pendingError;
        pendingError = null;
        client.writeAndFlush(error).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (pendingError != null) {
            pendingError.release();
            pendingError = null;
        }
    }
}
