package dev.oxbow.controlplane.history;

import dev.oxbow.storage.Snapshot;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Full-copy snapshots inside the restore window: all of the last hour, one an hour for a day, one a day before. */
class SnapshotThinningTest {
    private static final Instant NOW = Instant.parse("2026-12-08T12:34:56Z");

    /** One snapshot every {@code every}, from {@code span} ago up to now, oldest first. */
    private static List<Snapshot> every(Duration every, Duration span) {
        List<Snapshot> out = new ArrayList<>();
        long n = span.dividedBy(every);
        for (long i = n; i >= 0; i--) {
            Instant t = NOW.minus(every.multipliedBy(i));
            out.add(new Snapshot(Path.of("/s/" + i), "0/" + Long.toHexString(n - i + 1) + "000000", t, "000000010000000000000001"));
        }
        return out;
    }

    private static List<Snapshot> kept(List<Snapshot> window, Instant now) {
        List<Snapshot> doomed = SnapshotThinning.doomed(window, now);
        return window.stream().filter(s -> !doomed.contains(s)).toList();
    }

    @Test
    void aWeekOfSnapshotsEveryTenMinutesKeepsTheLastHourThenHourlyThenDaily() {
        List<Snapshot> window = every(Duration.ofMinutes(10), Duration.ofDays(7));
        List<Snapshot> kept = kept(window, NOW);

        assertThat(kept.getFirst()).isEqualTo(window.getFirst()); // the window's base
        assertThat(kept.getLast()).isEqualTo(window.getLast());
        assertThat(kept.stream().filter(s -> s.time().isAfter(NOW.minus(Duration.ofHours(1))))).hasSize(6);
        // 1 008 copies before; about 6 + 24 + 7 after
        assertThat(kept.size()).isBetween(36, 40);
        assertReplayBounded(kept, window.getFirst().time(), NOW, NOW);
    }

    /**
     * Every point from {@code from} to {@code to} has a kept snapshot at most an hour before it if it is younger than a
     * day at {@code now}, at most a day before it if older.
     */
    private static void assertReplayBounded(List<Snapshot> kept, Instant from, Instant to, Instant now) {
        for (Instant p = from; !p.isAfter(to); p = p.plus(Duration.ofMinutes(5))) {
            Instant point = p;
            Instant base = kept.stream().map(Snapshot::time).filter(t -> !t.isAfter(point)).max(Instant::compareTo).orElseThrow();
            Duration replay = Duration.between(base, point);
            boolean lastDay = Duration.between(point, now).compareTo(Duration.ofDays(1)) < 0;
            assertThat(replay).as("point %s", point).isLessThanOrEqualTo(lastDay ? Duration.ofHours(1) : Duration.ofDays(1));
        }
    }

    @Test
    void aSnapshotKeptOnceStaysKeptAsItAges() {
        List<Snapshot> window = every(Duration.ofMinutes(10), Duration.ofDays(3));
        List<Snapshot> keptNow = kept(window, NOW);
        for (Duration later : List.of(Duration.ofMinutes(30), Duration.ofHours(5), Duration.ofHours(23), Duration.ofDays(1))) {
            // what a later prune sees: only what the earlier one kept
            List<Snapshot> keptLater = kept(keptNow, NOW.plus(later));
            List<Snapshot> fromScratch = kept(window, NOW.plus(later));
            assertThat(keptLater).as("after %s", later).isEqualTo(fromScratch);
            assertReplayBounded(keptLater, window.getFirst().time(), NOW, NOW.plus(later)); // points up to the last snapshot
        }
    }

    @Test
    void fewSnapshotsAreLeftAlone() {
        List<Snapshot> window = every(Duration.ofHours(6), Duration.ofDays(1));
        assertThat(SnapshotThinning.doomed(window, NOW)).isEmpty();
        assertThat(SnapshotThinning.doomed(window.subList(0, 1), NOW)).isEmpty();
        assertThat(SnapshotThinning.doomed(List.of(), NOW)).isEmpty();
    }
}
