package dev.oxbow.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoop;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Spare backends on in-memory compute connections: who may take one, when, and when it is thrown away. */
class SpareBackendsTest {
    static final Path SOCKET = Path.of("/run/oxbow/ep-alpha-1");
    static final Map<String, String> ALICE = Map.of("user", "alice", "database", "app", "application_name", "pgbench");
    static final SpareBackends.Key KEY = new SpareBackends.Key("ep-alpha-1", SOCKET, ALICE);

    final FakeComputes computes = new FakeComputes();
    final SpareBackends spares = new SpareBackends(computes, Duration.ofSeconds(10));
    /** The client's event loop the spares belong to (a fake clock: its time only moves when the test says so). */
    final EmbeddedChannel client = new EmbeddedChannel();
    final EventLoop loop = client.eventLoop();

    EmbeddedChannel prepare(SpareBackends.Key key) {
        spares.prepare(loop, key, PgWire.startup(ByteBufAllocator.DEFAULT, key.startup()));
        return computes.last();
    }

    /**
     * The attack: a login for another role, database, set of startup options, endpoint or compute socket must never be
     * handed a backend started for someone else; the one it was started for gets it once, after its ReadyForQuery.
     */
    @Test
    void aSpareServesOnlyTheLoginItWasStartedForAndOnlyOnce() {
        EmbeddedChannel compute = prepare(KEY);
        ByteBuf sent = compute.readOutbound();
        ByteBuf expected = PgWire.startup(ByteBufAllocator.DEFAULT, ALICE);
        assertThat(ByteBufUtil.equals(sent, expected)).as("the spare starts with the login's own startup message").isTrue();
        sent.release();
        expected.release();
        assertThat(spares.take(loop, KEY)).as("not before the compute said ReadyForQuery").isEmpty();

        compute.writeInbound(ClientSessionTest.backendGreeting(4242, 777));
        assertThat((Object) compute.readInbound()).as("held until handed over").isNull();
        assertThat(spares.take(loop, new SpareBackends.Key("ep-alpha-1", SOCKET, Map.of("user", "mallory", "database", "app",
                "application_name", "pgbench")))).as("another role").isEmpty();
        assertThat(spares.take(loop, new SpareBackends.Key("ep-alpha-1", SOCKET, Map.of("user", "alice", "database", "other",
                "application_name", "pgbench")))).as("another database").isEmpty();
        assertThat(spares.take(loop, new SpareBackends.Key("ep-alpha-1", SOCKET, Map.of("user", "alice", "database", "app",
                "application_name", "pgbench", "options", "-c search_path=evil")))).as("other startup options").isEmpty();
        assertThat(spares.take(loop, new SpareBackends.Key("ep-victim-9", SOCKET, ALICE))).as("another endpoint").isEmpty();
        assertThat(spares.take(loop, new SpareBackends.Key("ep-alpha-1", Path.of("/run/oxbow/other"), ALICE))).as("another compute").isEmpty();
        assertThat(spares.take(new EmbeddedChannel().eventLoop(), KEY)).as("another event loop").isEmpty();

        var taken = spares.take(loop, new SpareBackends.Key("ep-alpha-1", SOCKET, Map.of("application_name", "pgbench",
                "database", "app", "user", "alice")));
        assertThat(taken).as("the same parameters, in any order").isPresent();
        assertThat(spares.take(loop, KEY)).as("handed out once").isEmpty();
        assertThat(spares.count()).isZero();

        taken.get().handOver();
        ByteBuf greeting = compute.readInbound();
        ByteBuf original = ClientSessionTest.backendGreeting(4242, 777);
        assertThat(ByteBufUtil.equals(greeting, original)).as("the compute's greeting, passed on as it came").isTrue();
        greeting.release();
        original.release();
        assertThat(compute.pipeline().get(SpareBackends.Hold.class)).isNull();
        assertThat(compute.isOpen()).isTrue();
    }

    @Test
    void aSpareIsClosedWhenRefusedUntakenEndedOrReplaced() {
        EmbeddedChannel refused = prepare(KEY);
        refused.writeInbound(Unpooled.buffer().writeByte('E').writeInt(6).writeByte('S').writeByte(0));
        assertThat(refused.isOpen()).as("e.g. too many connections: no spare").isFalse();
        assertThat(spares.take(loop, KEY)).isEmpty();
        assertThat(spares.count()).isZero();

        EmbeddedChannel untaken = prepare(KEY);
        untaken.writeInbound(ClientSessionTest.backendGreeting(1, 2));
        prepare(KEY);
        assertThat(computes.opened).as("one spare per key and loop").hasSize(2);
        client.advanceTimeBy(9, TimeUnit.SECONDS);
        client.runScheduledPendingTasks();
        assertThat(untaken.isOpen()).isTrue();
        client.advanceTimeBy(2, TimeUnit.SECONDS);
        client.runScheduledPendingTasks();
        assertThat(untaken.isOpen()).as("past its time to live").isFalse();
        assertThat(spares.count()).isZero();

        EmbeddedChannel suspended = prepare(KEY);
        spares.closeAll("ep-victim-9");
        assertThat(suspended.isOpen()).as("another endpoint's sessions ended").isTrue();
        spares.closeAll("ep-alpha-1");
        assertThat(suspended.isOpen()).as("its endpoint's sessions ended").isFalse();

        EmbeddedChannel older = prepare(KEY);
        EmbeddedChannel newer = prepare(new SpareBackends.Key("ep-alpha-1", SOCKET, Map.of("user", "bob", "database", "app")));
        assertThat(older.isOpen()).as("the latest login's key wins the slot").isFalse();
        assertThat(newer.isOpen()).isTrue();
        assertThat(spares.count()).isOne();
    }

    @Test
    void aSpareThatStopsBeforeItIsTakenServesNoOne() {
        EmbeddedChannel compute = prepare(KEY);
        compute.writeInbound(ClientSessionTest.backendGreeting(1, 2));
        compute.close();
        assertThat(spares.take(loop, KEY)).isEmpty();
        assertThat(spares.count()).isZero();
    }

    @Test
    void withoutATimeToLiveThereAreNoSpares() {
        SpareBackends none = new SpareBackends(computes, Duration.ZERO);
        ByteBuf startup = PgWire.startup(ByteBufAllocator.DEFAULT, ALICE);
        none.prepare(loop, KEY, startup);
        assertThat(startup.refCnt()).isZero();
        assertThat(computes.opened).isEmpty();
    }
}
