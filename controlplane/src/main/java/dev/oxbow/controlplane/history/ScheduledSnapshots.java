package dev.oxbow.controlplane.history;

import dev.oxbow.controlplane.background.BackgroundTasks;
import dev.oxbow.metadata.SnapshotSchedule;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * Runs branches' snapshot schedules in the background: every check, each schedule whose next time has come
 * gets one snapshot (queued with the project's operations) and its next time moves one period on.
 */
public final class ScheduledSnapshots {
    private static final Logger log = LoggerFactory.getLogger(ScheduledSnapshots.class);

    private final SnapshotService snapshots;
    private final Clock clock;

    public ScheduledSnapshots(SnapshotService snapshots, Clock clock) {
        this.snapshots = snapshots;
        this.clock = clock;
    }

    /** Checks the schedules every {@code every}, as a task of the control plane's one scheduler. */
    public void start(BackgroundTasks tasks, Duration every) {
        tasks.every("snapshot-schedules", every, every, this::runDue);
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
}
