package dev.oxbow.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;

import static org.assertj.core.api.Assertions.assertThat;

/** The proxy's own FATAL goes between two of the compute's messages, never inside one; what follows is dropped. */
class SessionTerminatorTest {
    private EmbeddedChannel client;
    private EmbeddedChannel backend;
    private SessionTerminator terminator;

    @BeforeEach
    void splice() {
        client = new EmbeddedChannel();
        backend = new EmbeddedChannel();
        terminator = new SessionTerminator(client);
        backend.pipeline().addLast("terminator", terminator);
        backend.pipeline().addLast("relay", new Relay(client));
    }

    @AfterEach
    void close() {
        client.finishAndReleaseAll();
        backend.finishAndReleaseAll();
    }

    @Test
    void betweenMessagesTheErrorGoesAtOnceAndTheClientIsClosed() {
        backend.writeInbound(Unpooled.wrappedBuffer(message('Z', 1)));
        terminator.terminate(error());

        assertThat(received()).isEqualTo(concat(message('Z', 1), error()));
        assertThat(client.isOpen()).isFalse();
        assertThat(backend.isOpen()).as("closing the client closes the compute's side").isFalse();
    }

    @Test
    void insideAMessageTheErrorWaitsForItsEndAndWhatFollowsIsDropped() {
        byte[] dataRow = message('D', 10_000);
        byte[] next = message('C', 20);
        // the header itself split, then part of the body
        backend.writeInbound(Unpooled.wrappedBuffer(dataRow, 0, 3));
        backend.writeInbound(Unpooled.wrappedBuffer(dataRow, 3, 4000));
        terminator.terminate(error());
        assertThat(client.isOpen()).as("still inside the DataRow").isTrue();

        // the DataRow's end and the next message arrive together
        byte[] rest = concat(java.util.Arrays.copyOfRange(dataRow, 4003, dataRow.length), next);
        backend.writeInbound(Unpooled.wrappedBuffer(rest));

        assertThat(received()).isEqualTo(concat(dataRow, error()));
        assertThat(client.isOpen()).isFalse();
    }

    @Test
    void messagesAreFollowedAcrossManySmallReads() {
        byte[] stream = concat(message('T', 30), message('D', 1), message('D', 0), message('C', 12));
        for (byte b : stream) {
            backend.writeInbound(Unpooled.wrappedBuffer(new byte[] {b}));
        }
        terminator.terminate(error());
        assertThat(received()).isEqualTo(concat(stream, error()));
        assertThat(client.isOpen()).isFalse();
    }

    /** A message of {@code type} with a body of {@code body} bytes. */
    private static byte[] message(char type, int body) {
        ByteBuf b = Unpooled.buffer();
        b.writeByte(type).writeInt(body + 4);
        for (int i = 0; i < body; i++) {
            b.writeByte('a' + i % 26);
        }
        byte[] bytes = new byte[b.readableBytes()];
        b.readBytes(bytes);
        return bytes;
    }

    private static ByteBuf error() {
        return PgWire.fatal(ByteBufAllocator.DEFAULT, "57P01", "endpoint e was suspended");
    }

    private static byte[] concat(Object... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Object p : parts) {
            if (p instanceof ByteBuf b) {
                byte[] bytes = new byte[b.readableBytes()];
                b.readBytes(bytes);
                b.release();
                out.writeBytes(bytes);
            } else {
                out.writeBytes((byte[]) p);
            }
        }
        return out.toByteArray();
    }

    private byte[] received() {
        client.runPendingTasks();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Object o; (o = client.readOutbound()) != null; ) {
            ByteBuf b = (ByteBuf) o;
            byte[] bytes = new byte[b.readableBytes()];
            b.readBytes(bytes);
            b.release();
            out.writeBytes(bytes);
        }
        return out.toByteArray();
    }
}
