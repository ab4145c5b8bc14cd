package dev.oxbow.proxy;

import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** A relayed session closes once neither side has sent anything for the idle timeout, and not before. */
class RelayIdleTimerTest {
    @Test
    void closesOnlyAfterATimeoutWithoutActivity() {
        EmbeddedChannel client = new EmbeddedChannel();
        client.freezeTime();
        AtomicLong now = new AtomicLong();
        RelayIdleTimer timer = new RelayIdleTimer(Duration.ofSeconds(10), now::get);
        timer.start(client);

        advance(client, now, 6);
        timer.touch(); // a relayed read burst
        advance(client, now, 6);
        assertThat(client.isActive()).as("6 s since the last activity").isTrue();
        advance(client, now, 3);
        assertThat(client.isActive()).isTrue();
        advance(client, now, 1);
        assertThat(client.isActive()).as("10 s since the last activity").isFalse();
    }

    private static void advance(EmbeddedChannel ch, AtomicLong now, int seconds) {
        now.addAndGet(TimeUnit.SECONDS.toNanos(seconds));
        ch.advanceTimeBy(seconds, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
    }
}
