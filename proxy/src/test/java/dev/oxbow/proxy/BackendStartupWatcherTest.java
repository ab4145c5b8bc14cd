package dev.oxbow.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class BackendStartupWatcherTest {
    final List<String> keys = new ArrayList<>();
    final EmbeddedChannel ch = new EmbeddedChannel(new BackendStartupWatcher((pid, secret) -> {
        keys.add(pid + "/" + secret);
        return 5555;
    }));

    @Test
    void theKeyIsReplacedEvenWhenSplitAcrossReadsAndTheWatcherStepsAside() {
        ByteBuf greeting = ClientSessionTest.backendGreeting(4242, 777).writeByte('D').writeInt(4); // a message after Z passes too
        int length = greeting.readableBytes();
        ch.writeInbound(greeting.readRetainedSlice(14)); // R (9 bytes) and the first 5 of K
        ch.writeInbound(greeting.readRetainedSlice(5));
        ch.writeInbound(greeting);
        ByteBuf out = Unpooled.buffer();
        for (ByteBuf b; (b = ch.readInbound()) != null; ) {
            out.writeBytes(b);
            b.release();
        }
        assertThat(out.readableBytes()).isEqualTo(length);
        assertThat(out.getByte(9)).isEqualTo((byte) 'K');
        assertThat(out.getInt(14)).isEqualTo(4242);
        assertThat(out.getInt(18)).as("the proxy's secret").isEqualTo(5555);
        assertThat(keys).containsExactly("4242/777");
        assertThat(ch.pipeline().get(BackendStartupWatcher.class)).isNull();
        out.release();
    }

    @Test
    void anErrorBeforeTheKeyEndsTheWatch() {
        ByteBuf error = Unpooled.buffer().writeByte('E').writeInt(6).writeByte('S').writeByte(0);
        ch.writeInbound(error);
        ByteBuf out = ch.readInbound();
        assertThat(out.readableBytes()).isEqualTo(7);
        out.release();
        assertThat(keys).isEmpty();
        assertThat(ch.pipeline().get(BackendStartupWatcher.class)).isNull();
    }

    /** The session is told how the compute's greeting ended: ReadyForQuery (null), or an error's SQLSTATE (a full compute: 53300). */
    @Test
    void theGreetingsEndIsToldWithTheErrorsSqlState() {
        List<String> ends = new ArrayList<>();
        EmbeddedChannel ready = new EmbeddedChannel(new BackendStartupWatcher((pid, secret) -> secret, ends::add));
        ready.writeInbound(ClientSessionTest.backendGreeting(1, 2));
        EmbeddedChannel full = new EmbeddedChannel(new BackendStartupWatcher((pid, secret) -> secret, ends::add));
        byte[] fields = "SFATAL\0C53300\0Msorry, too many clients already\0\0".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        full.writeInbound(Unpooled.buffer().writeByte('E').writeInt(4 + fields.length).writeBytes(fields));
        assertThat(ends).containsExactly(null, "53300");
        ready.finishAndReleaseAll();
        full.finishAndReleaseAll();
    }
}
