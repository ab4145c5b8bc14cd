package dev.oxbow.controlplane.history;

import dev.oxbow.storage.Snapshot;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Which of a branch's snapshots inside its restore window to drop where each one is a full copy of the data (plain
 * storage, ext4): every snapshot of the last hour stays, then the oldest of each clock hour for the last day, then the
 * oldest of each day; the window's base (the newest snapshot before the window's start, or its first) and the newest
 * always stay. Without it a busy branch kept a copy per snapshot for the whole window (7 days by default).
 * <p>
 * A point between two kept snapshots replays more WAL (up to an hour's within the last day, a day's before), and the
 * WAL is kept from the window's base, so every point of the window stays restorable. Buckets are fixed clock hours and
 * days, so a snapshot kept once is still kept as it ages: the oldest of a day is also the oldest of its hour.
 */
final class SnapshotThinning {
    static final Duration KEEP_ALL = Duration.ofHours(1);
    static final Duration HOURLY = Duration.ofDays(1);

    private SnapshotThinning() {}

    /**
     * The snapshots to remove from {@code window} (sorted oldest first; the first is the window's base) at {@code now}.
     */
    static List<Snapshot> doomed(List<Snapshot> window, Instant now) {
        List<Snapshot> doomed = new ArrayList<>();
        Set<Long> hours = new HashSet<>();
        Set<Long> days = new HashSet<>();
        for (int i = 0; i < window.size(); i++) {
            Snapshot s = window.get(i);
            long hour = Math.floorDiv(s.time().getEpochSecond(), 3600);
            long day = Math.floorDiv(s.time().getEpochSecond(), 86_400);
            Duration age = Duration.between(s.time(), now);
            if (i == 0 || i == window.size() - 1 || age.compareTo(KEEP_ALL) < 0) {
                hours.add(hour);
                days.add(day);
                continue;
            }
            // an hour stays hourly until all of it is older than a day: its first snapshot is kept until then, so the
            // hour's later points never lose theirs while they are younger than a day
            boolean hourly = Duration.between(Instant.ofEpochSecond((hour + 1) * 3600), now).compareTo(HOURLY) < 0;
            boolean first = hourly ? hours.add(hour) : days.add(day);
            if (first) {
                hours.add(hour);
                days.add(day);
            } else {
                doomed.add(s);
            }
        }
        return doomed;
    }
}
