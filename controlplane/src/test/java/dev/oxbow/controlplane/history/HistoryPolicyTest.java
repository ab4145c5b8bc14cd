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
}
