package dev.oxbow.controlplane.history;

import dev.oxbow.metadata.BranchState;
import dev.oxbow.controlplane.testing.Fixture;
import dev.oxbow.controlplane.testing.ServiceFixture;
import dev.oxbow.metadata.Branch;
import dev.oxbow.metadata.Project;
import dev.oxbow.compute.Lsn;
import dev.oxbow.storage.PointInTimeRecovery.Target;
import dev.oxbow.storage.Snapshot;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

import static dev.oxbow.controlplane.testing.ApiErrors.invalid;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The restore window over recorded snapshot directories (no server): which history holds a point, what is
 * refused, and what pruning keeps.
 */
class TimelinesTest {
    @TempDir
    Path dir;

    private Fixture f;
    private Timelines timelines;
    private Project project;
    private Branch production;
    private Instant now;

    @BeforeEach
    void setUp() {
        f = new Fixture(dir);
        timelines = new Timelines(f.store, f.computes, ServiceFixture.cloner(), f.layout, f.clock);
        project = f.project("p1"); // 7 days of history
        production = f.rootBranch(project, "production");
        now = f.clock.instant();
    }

    @AfterEach
    void tearDown() {
        f.close();
    }

    /** A snapshot directory as SnapshotStore publishes it. */
    private void snapshot(Branch b, String lsn, Duration ago, String startSegment) throws IOException {
        Instant time = now.minus(ago);
        Path d = f.layout.snapshotsDir(project, b).resolve(String.format("%016X", Lsn.parse(lsn)) + "-" + time.toEpochMilli());
        Files.createDirectories(d.resolve("pgdata"));
        Files.writeString(d.resolve("snapshot.properties"), "lsn=" + lsn + "\ntime=" + time + "\nstart_segment=" + startSegment + "\n");
    }

    private Branch child(String id, String lsn, Duration ago) {
        Branch b = Branch.newBranch("p1", id, f.uids.branch(), now).state(BranchState.READY).pendingState(null)
                .sourceBranchId("production").sourceBranchLsn(lsn).sourceBranchTime(now.minus(ago)).build();
        f.store.branches().insert(b);
        return b;
    }

    private static Target at(Instant t) {
        return new Target(null, t);
    }

    @Test
    void aTimeResolvesToTheNewestSnapshotAtOrBeforeIt() throws Exception {
        snapshot(production, "0/1000000", Duration.ofDays(3), "000000010000000000000001");
        snapshot(production, "0/2000000", Duration.ofDays(2), "000000010000000000000002");
        snapshot(production, "0/3000000", Duration.ofDays(1), "000000010000000000000003");
        Timelines.Source s = timelines.resolve(project, production, at(now.minus(Duration.ofHours(36))), "spec.source_branch_time");
        assertThat(s.branch().name()).isEqualTo(production.name());
        assertThat(s.snapshot().lsn()).isEqualTo("0/2000000");
        assertThat(timelines.resolve(project, production, at(now.minus(Duration.ofDays(2))), "f").snapshot().lsn()).isEqualTo("0/2000000");
        assertThat(timelines.resolve(project, production, at(now), "f").snapshot().lsn()).isEqualTo("0/3000000");
    }

    @Test
    void anLsnResolvesToTheNewestSnapshotNotAfterIt() throws Exception {
        snapshot(production, "0/1000000", Duration.ofDays(3), "000000010000000000000001");
        snapshot(production, "0/2000000", Duration.ofDays(2), "000000010000000000000002");
        assertThat(timelines.resolve(project, production, new Target("0/1FFFFFF", null), "f").snapshot().lsn()).isEqualTo("0/1000000");
        assertThat(timelines.resolve(project, production, new Target("0/2000000", null), "f").snapshot().lsn()).isEqualTo("0/2000000");
        assertThat(timelines.resolve(project, production, new Target("1/0", null), "f").snapshot().lsn()).isEqualTo("0/2000000");
    }

    @Test
    void theWindowIsTheProjectsRetentionUpToNow() throws Exception {
        snapshot(production, "0/1000000", Duration.ofDays(8), "000000010000000000000001");
        Instant horizon = now.minusSeconds(project.historyRetentionSeconds());
        assertThat(timelines.resolve(project, production, at(horizon), "f").snapshot().lsn()).isEqualTo("0/1000000");
        invalid(() -> timelines.resolve(project, production, at(horizon.minusMillis(1)), "source_branch_time"),
                "Field source_branch_time", "outside the project's restore window", "history_retention_duration is 604800s",
                "the earliest point is " + horizon);
        invalid(() -> timelines.resolve(project, production, at(now.plusMillis(1)), "source_branch_time"),
                "Field source_branch_time is in the future", "the latest point is now (" + now + ")");
    }

    @Test
    void aPointBeforeABranchsOwnHistoryComesFromItsParent() throws Exception {
        snapshot(production, "0/1000000", Duration.ofDays(4), "000000010000000000000001");
        Branch dev = child("dev", "0/5000000", Duration.ofDays(2));
        snapshot(dev, "0/5000000", Duration.ofDays(2), "000000010000000000000005");
        Timelines.Source before = timelines.resolve(project, dev, at(now.minus(Duration.ofDays(3))), "f");
        assertThat(before.branch().name()).isEqualTo(production.name());
        assertThat(before.snapshot().lsn()).isEqualTo("0/1000000");
        Timelines.Source after = timelines.resolve(project, dev, at(now.minus(Duration.ofDays(1))), "f");
        assertThat(after.branch().name()).isEqualTo(dev.name());
        assertThat(timelines.resolve(project, dev, new Target("0/4000000", null), "f").branch().name()).isEqualTo(production.name());
    }

    @Test
    void aPointBeforeAllHistoryNamesTheEarliestRestorablePoint() throws Exception {
        snapshot(production, "0/3000000", Duration.ofDays(1), "000000010000000000000003");
        invalid(() -> timelines.resolve(project, production, at(now.minus(Duration.ofDays(2))), "spec.source_branch_time"),
                "Field spec.source_branch_time", "before the history Oxbow keeps for projects/p1/branches/production",
                "earliest restorable point is " + now.minus(Duration.ofDays(1)) + " (LSN 0/3000000)");
        invalid(() -> timelines.resolve(project, production, new Target("0/100", null), "spec.source_branch_lsn"),
                "Field spec.source_branch_lsn (0/100)");
    }

    @Test
    void pruningKeepsTheNewestSnapshotBeforeTheWindowAndEverythingAfterIt() throws Exception {
        snapshot(production, "0/1000000", Duration.ofDays(10), "000000010000000000000001");
        snapshot(production, "0/2000000", Duration.ofDays(8), "000000010000000000000002");
        snapshot(production, "0/3000000", Duration.ofDays(6), "000000010000000000000003");
        snapshot(production, "0/4000000", Duration.ofDays(1), "000000010000000000000004");
        Path wal = f.layout.archiveDir(project, production);
        Files.createDirectories(wal);
        for (String name : new String[] {"000000010000000000000001.zst", "000000010000000000000001.partial",
                "000000010000000000000002.zst", "000000010000000000000003", "000000010000000000000004.zst", "00000002.history", "x.part"}) {
            Files.writeString(wal.resolve(name), "0123456789");
        }

        long freed = timelines.prune(project, production);

        assertThat(timelines.snapshots(project, production)).extracting(Snapshot::lsn).containsExactly("0/2000000", "0/3000000", "0/4000000");
        try (var files = Files.list(wal)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("000000010000000000000002.zst",
                    "000000010000000000000003", "000000010000000000000004.zst", "00000002.history");
        }
        assertThat(freed).isEqualTo(30);
        // the window still reaches back to its start through the kept snapshot
        assertThat(timelines.resolve(project, production, at(now.minus(Duration.ofDays(7))), "f").snapshot().lsn()).isEqualTo("0/2000000");
    }

    @Test
    void pruningThinsFullCopiesInsideTheWindowAndKeepsReflinkedOnes() throws Exception {
        // three hours of snapshots every ten minutes
        for (int i = 18; i >= 0; i--) {
            snapshot(production, "0/" + Integer.toHexString(19 - i) + "000000", Duration.ofMinutes(10L * i), "000000010000000000000001");
        }
        timelines.prune(project, production);
        var kept = timelines.snapshots(project, production);
        if (ServiceFixture.cloner().strategyFor(f.layout.snapshotsDir(project, production)) == dev.oxbow.storage.CloneStrategy.COPY) {
            // the last hour's all, then the first of each older clock hour, and the window's first
            assertThat(kept.size()).isBetween(8, 11);
            assertThat(kept.stream().filter(sn -> sn.time().isAfter(now.minus(Duration.ofHours(1))))).hasSize(6);
            assertThat(kept.getFirst().lsn()).isEqualTo("0/1000000");
        } else {
            assertThat(kept).hasSize(19);
        }
    }

    @Test
    void pruningKeepsEverythingWhileAllOfItIsInsideTheWindow() throws Exception {
        snapshot(production, "0/1000000", Duration.ofDays(3), "000000010000000000000001");
        snapshot(production, "0/2000000", Duration.ofDays(1), "000000010000000000000002");
        timelines.prune(project, production);
        assertThat(timelines.snapshots(project, production)).hasSize(2);
    }

    @Test
    void pruningFollowsTheClock() throws Exception {
        snapshot(production, "0/1000000", Duration.ofDays(3), "000000010000000000000001");
        snapshot(production, "0/2000000", Duration.ofDays(1), "000000010000000000000002");
        f.clock.advance(Duration.ofDays(7));
        timelines.prune(project, production);
        assertThat(timelines.snapshots(project, production)).extracting(Snapshot::lsn).containsExactly("0/2000000");
    }

    @Test
    void aBranchWithoutHistoryHasNothingToPrune() throws Exception {
        assertThat(timelines.prune(project, production)).isZero();
        assertThat(timelines.snapshots(project, production)).isEmpty();
    }
}
