package dev.oxbow.dataapi;

import org.junit.jupiter.api.Test;

import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/** The pool's rules on a settable clock, with stand-in connections that only answer isValid and close. */
class ConnectionPoolTest {
    private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-01-01T00:00:00Z"));
    private final Clock clock = new Clock() {
        @Override public ZoneOffset getZone() { return ZoneOffset.UTC; }
        @Override public Clock withZone(java.time.ZoneId zone) { return this; }
        @Override public Instant instant() { return now.get(); }
    };

    private record Stub(Connection connection, AtomicBoolean valid, AtomicBoolean closed, AtomicInteger validations) {}

    private static Stub stub() {
        AtomicBoolean valid = new AtomicBoolean(true);
        AtomicBoolean closed = new AtomicBoolean(false);
        AtomicInteger validations = new AtomicInteger();
        Connection c = (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[]{Connection.class}, (p, m, a) -> switch (m.getName()) {
            case "isValid" -> {
                validations.incrementAndGet();
                yield valid.get();
            }
            case "close" -> {
                closed.set(true);
                yield null;
            }
            case "hashCode" -> System.identityHashCode(p);
            case "equals" -> p == a[0];
            default -> throw new UnsupportedOperationException(m.getName());
        });
        return new Stub(c, valid, closed, validations);
    }

    @Test
    void reusesRecentConnectionsWithoutARoundTripAndChecksIdleOnes() throws Exception {
        ConnectionPool pool = new ConnectionPool(2, Duration.ofSeconds(2), clock);
        Stub a = stub();
        pool.giveBack("k", a.connection());
        assertThat(pool.borrow("k", () -> { throw new AssertionError("should reuse"); })).isSameAs(a.connection());
        assertThat(a.validations()).hasValue(0);

        pool.giveBack("k", a.connection());
        now.set(now.get().plusSeconds(3));
        a.valid().set(false); // the compute was suspended meanwhile
        Stub fresh = stub();
        assertThat(pool.borrow("k", fresh::connection)).isSameAs(fresh.connection());
        assertThat(a.closed()).isTrue();
    }

    @Test
    void keepsAtMostTheCapAndClosesTheRest() {
        ConnectionPool pool = new ConnectionPool(1, Duration.ofSeconds(2), clock);
        Stub a = stub();
        Stub b = stub();
        pool.giveBack("k", a.connection());
        pool.giveBack("k", b.connection());
        assertThat(pool.idleCount("k")).isEqualTo(1);
        assertThat(b.closed()).isTrue();
        pool.evict("k");
        assertThat(a.closed()).isTrue();
        assertThat(pool.idleCount("k")).isZero();
    }
}
