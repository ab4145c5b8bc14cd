package dev.oxbow.client;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** How long {@link Operation#waitFor} sleeps between polls: a quarter of the wait so far, 20 ms to 1 s. */
class OperationPollTest {
    @Test
    void aShortOperationIsPolledOftenALongOneAtMostEverySecond() {
        assertThat(Operation.pauseAfter(Duration.ZERO)).isEqualTo(Duration.ofMillis(20));
        assertThat(Operation.pauseAfter(Duration.ofMillis(400))).isEqualTo(Duration.ofMillis(100));
        assertThat(Operation.pauseAfter(Duration.ofMinutes(5))).isEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void anOperationIsSeenDoneAtMostAQuarterAfterItFinishes() {
        // the polls a client makes, each after the pause; an operation ending between two polls is seen at the next
        long polledAt = 0;
        for (int i = 0; i < 200; i++) {
            long next = polledAt + Operation.pauseAfter(Duration.ofMillis(polledAt)).toMillis();
            long finishedJustAfter = polledAt + 1;
            assertThat(next - finishedJustAfter).isLessThanOrEqualTo(Math.max(20, finishedJustAfter / 4));
            polledAt = next;
        }
    }
}
