package dev.oxbow.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * Watches the compute's first messages (up to ReadyForQuery or an error) for BackendKeyData and replaces its
 * secret with the one the proxy issues for cancel requests, then steps aside. Until then it passes on only whole
 * messages, so the key is never split across what was already sent; everything else passes through unchanged.
 */
final class BackendStartupWatcher extends ChannelInboundHandlerAdapter {
    /** Registers the compute's key and returns the secret the client gets instead. */
    interface KeyIssuer {
        int clientSecret(int pid, int backendSecret);
    }

    private final KeyIssuer issuer;
    /**
     * Told once the compute's first reply (up to ReadyForQuery or an error) has gone on down the pipeline: null after
     * ReadyForQuery, else the error's SQLSTATE (empty if it named none).
     */
    private final java.util.function.Consumer<String> onReady;
    private ByteBuf pending;

    BackendStartupWatcher(KeyIssuer issuer) {
        this(issuer, sqlState -> { });
    }

    BackendStartupWatcher(KeyIssuer issuer, java.util.function.Consumer<String> onReady) {
        this.issuer = issuer;
        this.onReady = onReady;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf in = (ByteBuf) msg;
        if (pending == null) {
            pending = ctx.alloc().buffer(Math.max(256, in.readableBytes()));
        }
        pending.writeBytes(in);
        in.release();
        int whole = 0;
        boolean done = false;
        String error = null;
        while (pending.readableBytes() - whole >= 5) {
            int start = pending.readerIndex() + whole;
            char type = (char) pending.getUnsignedByte(start);
            int length = pending.getInt(start + 1);
            if (length < 4) {
                done = true; // not Postgres framing: stop watching, pass everything on
                break;
            }
            if (pending.readableBytes() - whole < length + 1) {
                break;
            }
            if (type == 'K' && length == 12) {
                pending.setInt(start + 9, issuer.clientSecret(pending.getInt(start + 5), pending.getInt(start + 9)));
            }
            if (type == 'E') {
                error = sqlState(pending, start + 5, start + 1 + length);
            }
            whole += length + 1;
            if (type == 'Z' || type == 'E') {
                done = true;
                break;
            }
        }
        if (done) {
            ByteBuf all = pending;
            pending = null;
            ctx.pipeline().remove(this);
            ctx.fireChannelRead(all);
            onReady.accept(error);
        } else if (whole > 0) {
            ctx.fireChannelRead(pending.readBytes(whole)); // a copy: what stays is compacted below
            pending.discardReadBytes();
        }
    }

    /** The 'C' field of an ErrorResponse whose fields lie in [from, to), or "" if it has none. */
    private static String sqlState(ByteBuf b, int from, int to) {
        int i = from;
        while (i < to && b.getByte(i) != 0) {
            byte field = b.getByte(i++);
            int end = b.indexOf(i, to, (byte) 0);
            if (end < 0) {
                return "";
            }
            if (field == 'C') {
                return b.toString(i, end - i, java.nio.charset.StandardCharsets.US_ASCII);
            }
            i = end + 1;
        }
        return "";
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (pending != null) {
            pending.release();
            pending = null;
        }
    }
}
