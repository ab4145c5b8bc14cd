package dev.oxbow.proxy;

import io.netty.channel.Channel;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Closes a relayed session on which neither side has sent anything for the idle timeout. Both relays of a session run
 * on one event loop and stamp the time once per read burst; one timer checks it. (IdleStateHandler, which guards the
 * login, would put a promise and a listener on every write to the client: an allocation per relayed message.)
 */
final class RelayIdleTimer {
    private final long timeoutNanos;
    private final LongSupplier clock;
    private long lastActivity;

    RelayIdleTimer(Duration timeout) {
        this(timeout, System::nanoTime);
    }

    /** With another clock (a test's, moved with its event loop's). */
    RelayIdleTimer(Duration timeout, LongSupplier nanoClock) {
        this.timeoutNanos = timeout.toNanos();
        this.clock = nanoClock;
    }

    /** Something was relayed (called on the session's event loop). */
    void touch() {
        lastActivity = clock.getAsLong();
    }

    /** Starts watching {@code client}'s session: it is closed once idle for the timeout. */
    void start(Channel client) {
        touch();
        schedule(client, timeoutNanos);
    }

    private void schedule(Channel client, long delayNanos) {
        client.eventLoop().schedule(() -> {
            if (!client.isActive()) {
                return;
            }
            long idle = clock.getAsLong() - lastActivity;
            if (idle >= timeoutNanos) {
                client.close();
            } else {
                schedule(client, timeoutNanos - idle);
            }
        }, delayNanos, TimeUnit.NANOSECONDS);
    }
}
