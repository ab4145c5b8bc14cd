package dev.oxbow.controlplane.history;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** When a running branch gets a new snapshot: enough WAL, or enough time with real writes since the last. */
class HistoryPolicyTest {
    private static final long MIB = 1 << 20;
    private final HistoryPolicy policy = HistoryPolicy.defaults();

    @Test
    void enoughWalTakesASnapshotAtOnce() {
        assertThat(policy.snapshotDue(64 * MIB, Duration.ZERO)).isTrue();
        assertThat(policy.snapshotDue(64 * MIB - 1, Duration.ofMinutes(1))).isFalse();
    }

    @Test
    void anIntervalWithWritesTakesASnapshot() {
        assertThat(policy.snapshotDue(MIB + 1, Duration.ofMinutes(10))).isTrue();
        assertThat(policy.snapshotDue(MIB + 1, Duration.ofMinutes(10).minusSeconds(1))).isFalse();
    }

    @Test
    void anIdleBranchNeedsNoNewSnapshotHoweverOldItsLastIs() {
        // checkpoints alone write a little WAL
        assertThat(policy.snapshotDue(MIB, Duration.ofDays(30))).isFalse();
        assertThat(policy.snapshotDue(0, Duration.ofDays(30))).isFalse();
    }

    @Test
    void thresholdsComeFromThePolicy() {
        HistoryPolicy eager = new HistoryPolicy(4 * MIB, Duration.ofSeconds(30), Duration.ofSeconds(5), Duration.ZERO);
        assertThat(eager.snapshotDue(4 * MIB, Duration.ZERO)).isTrue();
        assertThat(eager.snapshotDue(2 * MIB, Duration.ofSeconds(30))).isTrue();
        assertThat(policy.snapshotDue(4 * MIB, Duration.ZERO)).isFalse();
    }

    @Test
    void onPlainCopiesABranchBiggerThanTheWalThresholdWaitsForAsMuchWalAsItsCopy() {
        long twoGb = 2048 * MIB;
        assertThat(policy.snapshotDue(64 * MIB, Duration.ZERO, twoGb)).isFalse();
        assertThat(policy.snapshotDue(twoGb - 1, Duration.ofDays(1), twoGb)).isFalse(); // never for time alone
        assertThat(policy.snapshotDue(twoGb, Duration.ZERO, twoGb)).isTrue();
    }

    @Test
    void aSmallOrReflinkedBranchKeepsTheUsualThresholds() {
        assertThat(policy.snapshotDue(64 * MIB, Duration.ZERO, 30 * MIB)).isTrue();
        assertThat(policy.snapshotDue(MIB + 1, Duration.ofMinutes(10), 30 * MIB)).isTrue();
        // under the floor a copy is cheap, whatever the policy's own threshold (tests use a few MB)
        HistoryPolicy eager = new HistoryPolicy(4 * MIB, Duration.ofSeconds(30), Duration.ofSeconds(5), Duration.ZERO);
        assertThat(eager.snapshotDue(4 * MIB, Duration.ZERO, HistoryPolicy.COPY_FLOOR - 1)).isTrue();
        assertThat(eager.snapshotDue(4 * MIB, Duration.ZERO, HistoryPolicy.COPY_FLOOR)).isFalse();
        assertThat(policy.snapshotDue(64 * MIB, Duration.ZERO, 0)).isTrue();
        assertThat(policy.snapshotDue(MIB + 1, Duration.ofMinutes(10), 0)).isTrue();
    }
}
