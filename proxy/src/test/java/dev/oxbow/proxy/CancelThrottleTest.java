package dev.oxbow.proxy;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

class CancelThrottleTest {
    final AtomicLong now = new AtomicLong(1_000_000_000L);
    final CancelThrottle throttle = new CancelThrottle(3, 2, now::get);

    static InetAddress ip(String s) throws Exception {
        return InetAddress.getByName(s);
    }

    @Test
    void aBurstThenTheSteadyRatePerNetwork() throws Exception {
        for (int i = 0; i < 3; i++) {
            assertThat(throttle.tryAcquire(ip("192.0.2." + (i + 1)))).isTrue();
        }
        assertThat(throttle.tryAcquire(ip("192.0.2.200"))).as("same /24, burst spent").isFalse();
        assertThat(throttle.tryAcquire(ip("192.0.3.1"))).as("another network").isTrue();
        now.addAndGet(500_000_000L); // half a second at 2 per second: one token
        assertThat(throttle.tryAcquire(ip("192.0.2.1"))).isTrue();
        assertThat(throttle.tryAcquire(ip("192.0.2.1"))).isFalse();
        now.addAndGet(60_000_000_000L); // a minute refills only up to the burst
        for (int i = 0; i < 3; i++) {
            assertThat(throttle.tryAcquire(ip("192.0.2.1"))).isTrue();
        }
        assertThat(throttle.tryAcquire(ip("192.0.2.1"))).isFalse();
    }

    @Test
    void ipv6IsThrottledPerSlash64() throws Exception {
        for (int i = 0; i < 3; i++) {
            assertThat(throttle.tryAcquire(ip("2001:db8:1:2::" + (i + 1)))).isTrue();
        }
        assertThat(throttle.tryAcquire(ip("2001:db8:1:2:ffff::1"))).isFalse();
        assertThat(throttle.tryAcquire(ip("2001:db8:1:3::1"))).isTrue();
        assertThat(CancelThrottle.network(ip("2001:db8:1:2:3:4:5:6"))).isEqualTo(ip("2001:db8:1:2::"));
        assertThat(CancelThrottle.network(ip("198.51.100.77"))).isEqualTo(ip("198.51.100.0"));
    }
}
