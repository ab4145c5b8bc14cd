package dev.oxbow.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/** A pooled session counts against its endpoint only while a query is in flight, and its next query wakes the compute. */
class PooledSessionTest {
    private final FakeBackend backend = new FakeBackend();

    @Test
    void framingFollowsMessagesSplitAnywhereAcrossBuffers() {
        List<String> seen = new ArrayList<>();
        MessageFraming framing = new MessageFraming((type, first) -> seen.add((char) type + ":" + first));
        ByteBuf stream = Unpooled.buffer()
                .writeBytes(message('C', "SELECT 1\0"))
                .writeBytes(ready('T'))
                .writeBytes(message('1', ""))
                .writeBytes(ready('I'));
        // one byte at a time: headers, lengths and the status byte each split from what follows
        while (stream.isReadable()) {
            framing.scan(stream.readSlice(1));
        }
        assertThat(seen).containsExactly("C:" + (int) 'S', "Z:" + (int) 'T', "1:-1", "Z:" + (int) 'I');
        seen.clear();
        framing.scan(Unpooled.wrappedBuffer(ready('E'), ready('I')));
        assertThat(seen).containsExactly("Z:" + (int) 'E', "Z:" + (int) 'I');
    }

    @Test
    void theSessionCountsOnlyWhileATransactionIsOpen() {
        PooledLease lease = new PooledLease(backend, "ep");
        assertThat(lease.held()).as("the login's count, until its ReadyForQuery").isTrue();
        lease.ready('I');
        assertThat(lease.held()).isFalse();
        assertThat(backend.released).isEqualTo(1);

        assertThat(lease.busy()).isDone();
        lease.sent((byte) 'Q');
        assertThat(backend.acquired).isEqualTo(1);
        lease.ready('T'); // BEGIN: the transaction holds a server connection in PgBouncer
        assertThat(lease.held()).isTrue();
        lease.busy();
        lease.sent((byte) 'Q');
        lease.ready('I'); // COMMIT
        assertThat(lease.held()).isFalse();
        assertThat(backend.acquired).as("acquired once for the whole transaction").isEqualTo(1);
        assertThat(backend.released).isEqualTo(2);

        // a pipelining client: two Syncs in flight; the first ReadyForQuery does not end the session's work
        lease.busy();
        lease.sent((byte) 'P');
        lease.sent((byte) 'S');
        lease.sent((byte) 'S');
        lease.ready('I');
        assertThat(lease.held()).isTrue();
        lease.ready('I');
        assertThat(lease.held()).isFalse();

        lease.busy();
        lease.closed();
        assertThat(backend.released).as("a session that ends mid-query gives its count back").isEqualTo(backend.acquired + 1);
        lease.closed();
        assertThat(backend.released).isEqualTo(backend.acquired + 1);
    }

    @Test
    void anIdleClientsQueryWaitsForTheComputeToWakeThenGoesOnInOrder() {
        PooledLease lease = new PooledLease(backend, "ep");
        lease.ready('I');
        CompletableFuture<Path> waking = new CompletableFuture<>();
        backend.wake = waking;
        List<String> relayed = new ArrayList<>();
        EmbeddedChannel client = new EmbeddedChannel(new PooledClientGate(lease, "projects/p/branches/b/endpoints/e"),
                new io.netty.channel.ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(io.netty.channel.ChannelHandlerContext ctx, Object msg) {
                        relayed.add(((ByteBuf) msg).toString(StandardCharsets.UTF_8));
                        ((ByteBuf) msg).release();
                    }
                });
        client.writeInbound(Unpooled.wrappedBuffer(message('Q', "SELECT 1\0")));
        client.writeInbound(Unpooled.wrappedBuffer(message('Q', "SELECT 2\0")));
        assertThat(relayed).as("held while the compute wakes").isEmpty();
        assertThat(client.config().isAutoRead()).isFalse();
        assertThat(backend.acquired).isEqualTo(1);

        waking.complete(Path.of("/computes/fake"));
        client.runPendingTasks();
        assertThat(relayed).hasSize(2);
        assertThat(relayed.get(0)).contains("SELECT 1");
        assertThat(relayed.get(1)).contains("SELECT 2");
        assertThat(client.config().isAutoRead()).isTrue();
        lease.ready('I');
        lease.ready('I');
        assertThat(lease.held()).isFalse();

        // awake now: the next query goes straight on
        backend.wake = CompletableFuture.completedFuture(Path.of("/computes/fake"));
        client.writeInbound(Unpooled.wrappedBuffer(message('Q', "SELECT 3\0")));
        assertThat(relayed).hasSize(3);
        client.finishAndReleaseAll();
    }

    @Test
    void aComputeThatCannotWakeEndsTheSessionWithTheReason() {
        PooledLease lease = new PooledLease(backend, "ep");
        lease.ready('I');
        CompletableFuture<Path> waking = new CompletableFuture<>();
        backend.wake = waking;
        EmbeddedChannel client = new EmbeddedChannel(new PooledClientGate(lease, "projects/p/branches/b/endpoints/e"));
        client.writeInbound(Unpooled.wrappedBuffer(message('Q', "SELECT 1\0")));
        waking.completeExceptionally(new IllegalStateException("branch projects/p/branches/b is deleted"));
        client.runPendingTasks();
        ByteBuf error = client.readOutbound();
        assertThat(error.toString(StandardCharsets.UTF_8)).contains("57P03").contains("could not wake: branch projects/p/branches/b is deleted");
        error.release();
        assertThat(client.isActive()).isFalse();
        assertThat((Object) client.readInbound()).as("the held query never reaches the pooler").isNull();
    }

    private static byte[] message(char type, String body) {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ByteBuf m = Unpooled.buffer().writeByte(type).writeInt(4 + b.length).writeBytes(b);
        byte[] out = new byte[m.readableBytes()];
        m.readBytes(out);
        return out;
    }

    private static byte[] ready(char status) {
        return message('Z', String.valueOf(status));
    }
}
