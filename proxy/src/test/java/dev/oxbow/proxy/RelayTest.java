package dev.oxbow.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.PendingWriteQueue;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** Back-pressure of the relay between two in-memory channels with small write buffers (1/2 KiB). */
class RelayTest {
    private EmbeddedChannel client;
    private EmbeddedChannel backend;
    private Gate gate;

    @BeforeEach
    void splice() {
        client = new EmbeddedChannel();
        backend = new EmbeddedChannel();
        gate = new Gate();
        backend.config().setWriteBufferWaterMark(new WriteBufferWaterMark(1024, 2048));
        client.config().setWriteBufferWaterMark(new WriteBufferWaterMark(1024, 2048));
        backend.pipeline().addFirst("gate", gate);
        client.pipeline().addLast("relay", new Relay(backend));
        backend.pipeline().addLast("relay", new Relay(client));
    }

    @AfterEach
    void close() {
        client.finishAndReleaseAll();
        backend.finishAndReleaseAll();
    }

    @Test
    void aPeerThatDrainsInsideTheFlushDoesNotLeaveReadingPaused() {
        // the peer's socket takes everything at once: its writability event fires inside the relay's own flush
        gate.open = true;
        client.writeInbound(bytes(4000));
        backend.runPendingTasks();
        assertThat(backend.isWritable()).isTrue();
        assertThat(client.config().isAutoRead()).as("reading resumes once the peer drained").isTrue();
        assertThat(drain(backend)).isEqualTo(text(4000));
    }

    @Test
    void readingPausesWhileThePeerIsFullAndResumesWhenItDrains() {
        client.writeInbound(bytes(1000));
        assertThat(client.config().isAutoRead()).as("below the high water mark").isTrue();
        client.writeInbound(bytes(1000));
        assertThat(backend.isWritable()).isFalse();
        assertThat(client.config().isAutoRead()).as("paused while the peer cannot take more").isFalse();

        // more bytes of the same read burst still go through, in order
        client.writeInbound(bytes(500));
        assertThat(client.config().isAutoRead()).isFalse();

        gate.open();
        backend.runPendingTasks();
        assertThat(backend.isWritable()).isTrue();
        assertThat(client.config().isAutoRead()).as("resumed after the drain").isTrue();
        assertThat(drain(backend)).isEqualTo(text(1000) + text(1000) + text(500));
    }

    @Test
    void aLongPauseStaysAPauseUntilThePeerDrains() {
        client.writeInbound(bytes(3000));
        client.advanceTimeBy(61, java.util.concurrent.TimeUnit.SECONDS);
        client.runScheduledPendingTasks(); // the long-pause watch logs, and changes nothing
        assertThat(client.config().isAutoRead()).isFalse();
        assertThat(client.isActive()).isTrue();
        gate.open();
        backend.runPendingTasks();
        assertThat(client.config().isAutoRead()).isTrue();
        assertThat(drain(backend)).isEqualTo(text(3000));
    }

    @Test
    void pausesInBothDirectionsIndependently() {
        client.writeInbound(bytes(3000));
        assertThat(client.config().isAutoRead()).isFalse();
        // the other direction is unaffected: the client channel drains at once
        backend.writeInbound(bytes(3000));
        assertThat(backend.config().isAutoRead()).isTrue();
        assertThat(drain(client)).isEqualTo(text(3000));

        gate.open();
        backend.runPendingTasks();
        assertThat(client.config().isAutoRead()).isTrue();
    }

    @Test
    void closingEitherSideClosesTheOther() {
        client.close();
        assertThat(backend.isOpen()).isFalse();
    }

    private static ByteBuf bytes(int n) {
        return Unpooled.copiedBuffer(text(n), StandardCharsets.US_ASCII);
    }

    private static String text(int n) {
        return "x".repeat(n - 1) + "|";
    }

    private static String drain(EmbeddedChannel ch) {
        StringBuilder out = new StringBuilder();
        for (ByteBuf b; (b = ch.readOutbound()) != null; ) {
            out.append(b.toString(StandardCharsets.US_ASCII));
            b.release();
        }
        return out.toString();
    }

    /** A socket that takes nothing until opened; held bytes count against the channel's write buffer. */
    private static final class Gate extends ChannelOutboundHandlerAdapter {
        private PendingWriteQueue held;
        private ChannelHandlerContext ctx;
        boolean open;

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            this.ctx = ctx;
            held = new PendingWriteQueue(ctx);
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            held.add(msg, promise);
        }

        @Override
        public void flush(ChannelHandlerContext ctx) {
            if (open) {
                held.removeAndWriteAll();
                ctx.flush();
            }
        }

        void open() {
            open = true;
            flush(ctx);
        }

        @Override
        public void handlerRemoved(ChannelHandlerContext ctx) {
            held.removeAndFailAll(new IllegalStateException("closed"));
        }
    }
}
