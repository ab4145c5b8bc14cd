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
import java.util.Random;

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
    void randomTrafficAndStallsNeverLeaveASidePausedWhileItsPeerCanTakeMore() {
        Random random = new Random(20261201);
        Gate clientGate = new Gate();
        client.pipeline().addFirst("gate", clientGate);
        Stream up = new Stream();
        Stream down = new Stream();
        for (int step = 0; step < 20_000; step++) {
            switch (random.nextInt(6)) {
                // a socket delivers only while its channel reads
                case 0, 1 -> {
                    if (client.config().isAutoRead()) {
                        client.writeInbound(up.next(1 + random.nextInt(3000)));
                    }
                }
                case 2, 3 -> {
                    if (backend.config().isAutoRead()) {
                        backend.writeInbound(down.next(1 + random.nextInt(3000)));
                    }
                }
                case 4 -> toggle(gate, random);
                default -> toggle(clientGate, random);
            }
            client.runPendingTasks();
            backend.runPendingTasks();
            up.receive(backend);
            down.receive(client);
            assertThat(client.config().isAutoRead() || !backend.isWritable()).as("client paused only while the compute is full, step %d", step).isTrue();
            assertThat(backend.config().isAutoRead() || !client.isWritable()).as("compute paused only while the client is full, step %d", step).isTrue();
        }
        gate.open();
        clientGate.open();
        client.runPendingTasks();
        backend.runPendingTasks();
        up.receive(backend);
        down.receive(client);
        assertThat(up.received).isEqualTo(up.sent).isGreaterThan(1_000_000);
        assertThat(down.received).isEqualTo(down.sent).isGreaterThan(1_000_000);
    }

    private static void toggle(Gate g, Random random) {
        if (g.open) {
            g.open = random.nextBoolean();
        } else if (random.nextBoolean()) {
            g.open();
        }
    }

    /** Bytes numbered in order, so loss, duplication and reordering all show. */
    private static final class Stream {
        long sent;
        long received;

        ByteBuf next(int n) {
            ByteBuf b = Unpooled.buffer(n);
            for (int i = 0; i < n; i++) {
                b.writeByte((int) (sent++ % 251));
            }
            return b;
        }

        void receive(EmbeddedChannel ch) {
            for (ByteBuf b; (b = ch.readOutbound()) != null; ) {
                while (b.isReadable()) {
                    int got = b.readUnsignedByte();
                    if (got != received % 251) {
                        throw new AssertionError("byte " + received + " is " + got + ", expected " + received % 251);
                    }
                    received++;
                }
                b.release();
            }
        }
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
