package dev.oxbow.compute;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

class PhaseTimerTest {
    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);

    private void advanceMillis(long ms) {
        nanos.addAndGet(ms * 1_000_000);
    }

    @Test
    void eachStepIsTheTimeSinceThePreviousOneInOrderAndRepeatsAddUp() {
        PhaseTimer t = new PhaseTimer(nanos::get);
        advanceMillis(3);
        t.end("config");
        advanceMillis(12);
        t.end("start_postgres");
        advanceMillis(2);
        t.end("config");
        advanceMillis(25);
        t.end("ready");
        advanceMillis(1);

        assertThat(t.millis()).containsExactly(java.util.Map.entry("config", 5L), java.util.Map.entry("start_postgres", 12L),
                java.util.Map.entry("ready", 25L));
        assertThat(t.totalMillis()).isEqualTo(43);
        assertThat(t).hasToString("config_ms=5 start_postgres_ms=12 ready_ms=25 total_ms=43");
    }

    @Test
    void aTimerWithNoStepsReportsOnlyItsTotal() {
        PhaseTimer t = new PhaseTimer(nanos::get);
        advanceMillis(7);
        assertThat(t).hasToString("total_ms=7");
    }
}
