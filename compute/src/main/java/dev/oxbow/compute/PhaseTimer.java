package dev.oxbow.compute;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Durations of the consecutive steps of one operation (a compute start, a wake), in the order they ran,
 * written as one line of {@code name_ms=N} pairs ending in {@code total_ms}, as Neon's compute_ctl reports
 * {@code config_ms}, {@code start_postgres_ms}, ... so a slow step shows at a glance and can be grepped.
 * One timer belongs to one thread.
 */
public final class PhaseTimer {
    private final LongSupplier nanoClock;
    private final long started;
    private final Map<String, Long> phases = new LinkedHashMap<>();
    private long mark;

    PhaseTimer(LongSupplier nanoClock) {
        this.nanoClock = nanoClock;
        this.started = nanoClock.getAsLong();
        this.mark = started;
    }

    public static PhaseTimer start() {
        return new PhaseTimer(System::nanoTime);
    }

    /** Ends the step running since the previous call (or the start) and records it as {@code name}; repeats add up. */
    public void end(String name) {
        long now = nanoClock.getAsLong();
        phases.merge(name, now - mark, Long::sum);
        mark = now;
    }

    /** Milliseconds per step, in the order the steps first ran. */
    public Map<String, Long> millis() {
        Map<String, Long> ms = new LinkedHashMap<>();
        phases.forEach((k, v) -> ms.put(k, v / 1_000_000));
        return ms;
    }

    public long totalMillis() {
        return (nanoClock.getAsLong() - started) / 1_000_000;
    }

    /** {@code config_ms=3 start_postgres_ms=12 ... total_ms=41}; the total also counts time between steps not ended yet. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        millis().forEach((k, v) -> sb.append(k).append("_ms=").append(v).append(' '));
        return sb.append("total_ms=").append(totalMillis()).toString();
    }
}
