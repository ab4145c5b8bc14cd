package dev.oxbow.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SniHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.util.Mapping;

/**
 * PostgreSQL 17's direct TLS ({@code sslnegotiation=direct}): a client that opens with a TLS ClientHello (record type
 * 0x16) instead of an SSLRequest gets TLS at once. Looks at the first byte only, then leaves the pipeline.
 */
final class DirectTlsDetector extends ChannelInboundHandlerAdapter {
    /** TLS record type "handshake": no PostgreSQL startup packet starts with it (its length would be > 369 MB). */
    private static final int TLS_HANDSHAKE = 0x16;

    /** Told to the session: TLS began without an SSLRequest, so ALPN {@code postgresql} is required. */
    record Started() {}

    private final Mapping<String, SslContext> sni;

    DirectTlsDetector(Mapping<String, SslContext> sni) {
        this.sni = sni;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf buf) || !buf.isReadable()) {
            ctx.fireChannelRead(msg);
            return;
        }
        var pipeline = ctx.pipeline();
        if (buf.getUnsignedByte(buf.readerIndex()) == TLS_HANDSHAKE) {
            ctx.fireUserEventTriggered(new Started());
            pipeline.addFirst("tls", new SniHandler(sni));
            pipeline.remove(this);
            pipeline.fireChannelRead(buf);
        } else {
            pipeline.remove(this);
            ctx.fireChannelRead(buf);
        }
    }
}
