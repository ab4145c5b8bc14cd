package dev.oxbow.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FrontendDecoderTest {
    final FrontendDecoder decoder = new FrontendDecoder();
    final EmbeddedChannel ch = new EmbeddedChannel(decoder);

    @Test
    void aStartupPacketSplitIntoSingleBytesIsOnePacket() {
        ByteBuf packet = Unpooled.buffer().writeInt(12).writeInt(PgWire.PROTOCOL_3).writeBytes("ab\0\0".getBytes(StandardCharsets.US_ASCII));
        while (packet.isReadable()) {
            ch.writeInbound(packet.readRetainedSlice(1));
        }
        packet.release();
        PgPacket p = ch.readInbound();
        assertThat(p.type()).isEqualTo((char) 0);
        assertThat(p.body().readInt()).isEqualTo(PgWire.PROTOCOL_3);
        assertThat(p.body().readableBytes()).isEqualTo(4);
        p.body().release();
        assertThat((Object) ch.readInbound()).isNull();
    }

    @Test
    void typedMessagesMergedInOneReadAreSeparated() {
        decoder.expectTyped();
        ByteBuf two = Unpooled.buffer()
                .writeByte('p').writeInt(8).writeBytes("abc\0".getBytes(StandardCharsets.US_ASCII))
                .writeByte('p').writeInt(5).writeByte(0)
                .writeByte('p').writeInt(9); // the start of a third, held back
        ch.writeInbound(two);
        PgPacket first = ch.readInbound();
        PgPacket second = ch.readInbound();
        assertThat(first.type()).isEqualTo('p');
        assertThat(PgWire.cString(first.body())).isEqualTo("abc");
        assertThat(second.body().readableBytes()).isEqualTo(1);
        first.body().release();
        second.body().release();
        assertThat((Object) ch.readInbound()).isNull();
    }

    @Test
    void oversizeAndUndersizeLengthsAreRefusedBeforeBuffering() {
        assertThatThrownBy(() -> ch.writeInbound(Unpooled.buffer().writeInt(10_001).writeInt(PgWire.PROTOCOL_3)))
                .isInstanceOf(DecoderException.class).hasMessageContaining("invalid message length 10001");
        EmbeddedChannel small = new EmbeddedChannel(new FrontendDecoder());
        assertThatThrownBy(() -> small.writeInbound(Unpooled.buffer().writeInt(7).writeInt(0)))
                .isInstanceOf(DecoderException.class).hasMessageContaining("invalid message length 7");
        FrontendDecoder typed = new FrontendDecoder();
        typed.expectTyped();
        EmbeddedChannel auth = new EmbeddedChannel(typed);
        assertThatThrownBy(() -> auth.writeInbound(Unpooled.buffer().writeByte('p').writeInt(16_385)))
                .isInstanceOf(DecoderException.class).hasMessageContaining("invalid message length 16385");
        assertThatThrownBy(() -> new EmbeddedChannel(typedDecoder()).writeInbound(Unpooled.buffer().writeByte('p').writeInt(3)))
                .isInstanceOf(DecoderException.class);
    }

    private static FrontendDecoder typedDecoder() {
        FrontendDecoder d = new FrontendDecoder();
        d.expectTyped();
        return d;
    }
}
