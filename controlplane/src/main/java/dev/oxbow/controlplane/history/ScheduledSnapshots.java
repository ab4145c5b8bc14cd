package dev.oxbow.controlplane.history;

import dev.oxbow.metadata.SnapshotSchedule;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Runs branches' snapshot schedules in the background: every check, each schedule whose next time has come
 * gets one snapshot (queued with the project's operations) and its next time moves one period on.
 */
public final class ScheduledSnapshots implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ScheduledSnapshots.class);

    private final SnapshotService snapshots;
    private final Clock clock;
    private final ScheduledExecutorService timer =
            Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("oxbow-snapshot-schedules").daemon().factory());

    public ScheduledSnapshots(SnapshotService snapshots, Clock clock) {
        this.snapshots = snapshots;
        this.clock = clock;
    }

    public void start(Duration every) {
        timer.scheduleWithFixedDelay(this::runDue, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** One pass: a snapshot for every due schedule. Returns how many were started. */
    public int runDue() {
        Instant now = clock.instant();
        int started = 0;
        for (SnapshotSchedule schedule : snapshots.due(now)) {
            try {
                snapshots.createScheduled(schedule);
                started++;
            } catch (RuntimeException e) {
                log.warn("scheduled snapshot not taken schedule={} cause={}", schedule.name(), e.getMessage());
            } finally {
                snapshots.ran(schedule, now); // a failing branch is tried again next period, not every check
            }
        }
        return started;
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
