package dev.oxbow.controlplane.compute;

import dev.oxbow.metadata.EndpointState;
import dev.oxbow.controlplane.testing.FakeComputeRuntime;
import dev.oxbow.controlplane.testing.Fixture;
import dev.oxbow.metadata.AuditEvent;
import dev.oxbow.metadata.Branch;
import dev.oxbow.metadata.Endpoint;
import dev.oxbow.metadata.Project;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Autoscaler decisions driven by a fake ticker and a fake runtime's CPU and memory figures: up at once
 * (doubling), down one halving step per minute of quiet, always within [min, max].
 */
class AutoscalerTest {
    /** One CPU and 1 GiB per CU keep the arithmetic readable. */
    private static final ComputeSizing SIZING = new ComputeSizing(1L << 30, 1.0, Duration.ofSeconds(1), 0.7, 0.25, Duration.ofSeconds(60));

    @TempDir
    Path dir;

    private Fixture f;
    private final AtomicLong ticker = new AtomicLong(1_000_000_000L);
    private Autoscaler autoscaler;
    private Project project;
    private Branch branch;
    private long cpuNanos;
    private long memoryBytes;

    @BeforeEach
    void setUp() {
        f = new Fixture(dir, SIZING);
        autoscaler = new Autoscaler(f.store, f.computes, f.clock, f.metrics, ticker::get);
        project = f.project("p1");
        branch = f.rootBranch(project, "production");
    }

    @AfterEach
    void tearDown() {
        f.close();
    }

    private Endpoint running(double min, double max) {
        Endpoint e = f.primary(project, branch, min, max, 300, EndpointState.ACTIVE);
        f.runtime.markRunning(e.uid());
        return e;
    }

    /** One second passes in which the compute used {@code cpuShare} of its current CPU quota; then a tick. */
    private void second(Endpoint e, double cpuShare) {
        ticker.addAndGet(1_000_000_000L);
        f.clock.advance(Duration.ofSeconds(1));
        cpuNanos += Math.round(cpuShare * SIZING.cpus(f.computes.currentCu(e)) * 1e9);
        f.runtime.setUsage(e.uid(), cpuNanos, memoryBytes);
        autoscaler.tick();
    }

    private double cu(Endpoint e) {
        return f.computes.currentCu(e);
    }

    private List<String> scaleEvents(Endpoint e) {
        return f.store.audit().page(0, 100, e.name(), null).reversed().stream()
                .filter(a -> a.action().equals("SCALE")).map(AuditEvent::outcome).toList();
    }

    @Test
    void firstSampleOnlySetsTheBaseline() {
        Endpoint e = running(0.5, 8);
        second(e, 5.0);
        assertThat(cu(e)).isEqualTo(0.5);
        assertThat(f.runtime.resizes).isEmpty();
    }

    @Test
    void busyComputeScalesUpAtOnceDoublingUntilItsMaximum() {
        Endpoint e = running(0.5, 8);
        second(e, 0);
        for (int i = 0; i < 6; i++) {
            second(e, 0.95);
        }
        assertThat(cu(e)).isEqualTo(8);
        assertThat(scaleEvents(e)).containsExactly("1", "2", "4", "8");
        assertThat(f.store.audit().page(0, 1, e.name(), null).getFirst().detail()).startsWith("4 -> 8 CU (cpu 95% of quota");
        assertThat(f.store.audit().page(0, 1, e.name(), null).getFirst().actor()).isEqualTo("autoscaler");
    }

    @Test
    void scalingSetsTheLimitsFirstThenReloadsSizeDependentSettings() {
        Endpoint e = running(0.5, 8);
        second(e, 0);
        second(e, 1.0);
        assertThat(f.runtime.resizes).containsExactly(new FakeComputeRuntime.Resize(e.uid(), 1L << 30, 1.0));
        assertThat(f.runtime.calls).containsSubsequence("resize " + e.uid(), "reload " + e.uid());
        assertThat(f.runtime.reloaded.getLast().settings()).containsEntry("effective_cache_size", (3L << 30) / 4 / 1024 + "kB");
    }

    @Test
    void cpuJustBelowTheThresholdDoesNotScale() {
        Endpoint e = running(0.5, 8);
        second(e, 0);
        second(e, 0.69);
        second(e, 0.5);
        assertThat(cu(e)).isEqualTo(0.5);
        assertThat(f.runtime.resizes).isEmpty();
    }

    @Test
    void memoryNearItsLimitScalesUpEvenWhenCpuIsIdle() {
        Endpoint e = running(0.5, 8);
        second(e, 0);
        memoryBytes = (long) (0.95 * SIZING.memoryBytes(0.5));
        second(e, 0);
        assertThat(cu(e)).isEqualTo(1);
    }

    @Test
    void quietComputeScalesDownOneStepPerMinuteOfQuietAndStopsAtItsMinimum() throws Exception {
        Endpoint e = running(0.5, 8);
        f.computes.resize(project, branch, e, 8);
        second(e, 0); // baseline
        second(e, 0.1); // quiet starts
        for (int s = 1; s < 60; s++) {
            second(e, 0.1);
        }
        assertThat(cu(e)).as("after 59 s of quiet").isEqualTo(8);
        second(e, 0.1);
        assertThat(cu(e)).as("after 60 s of quiet").isEqualTo(4);
        for (int s = 0; s < 59; s++) {
            second(e, 0.1);
        }
        assertThat(cu(e)).as("the next step waits another minute").isEqualTo(4);
        second(e, 0.1);
        assertThat(cu(e)).isEqualTo(2);
        for (int s = 0; s < 600; s++) {
            second(e, 0);
        }
        assertThat(cu(e)).isEqualTo(0.5);
        assertThat(scaleEvents(e)).containsExactly("4", "2", "1", "0.5");
    }

    @Test
    void aBusySecondRestartsTheQuietPeriod() throws Exception {
        Endpoint e = running(0.5, 8);
        f.computes.resize(project, branch, e, 4);
        second(e, 0);
        for (int s = 0; s < 50; s++) {
            second(e, 0.1);
        }
        second(e, 0.5); // neither busy nor quiet
        for (int s = 0; s < 50; s++) {
            second(e, 0.1);
        }
        assertThat(cu(e)).as("49 s into the second quiet period").isEqualTo(4);
        for (int s = 0; s < 11; s++) {
            second(e, 0.1);
        }
        assertThat(cu(e)).as("60 s into it").isEqualTo(2);
    }

    @Test
    void memoryInUseKeepsAQuietComputeFromShrinking() throws Exception {
        Endpoint e = running(0.5, 8);
        f.computes.resize(project, branch, e, 4);
        memoryBytes = (long) (0.7 * SIZING.memoryBytes(4));
        second(e, 0);
        for (int s = 0; s < 180; s++) {
            second(e, 0);
        }
        assertThat(cu(e)).isEqualTo(4);
    }

    @Test
    void fixedSizeComputeIsNeverResized() {
        Endpoint e = running(2, 2);
        for (int s = 0; s < 5; s++) {
            second(e, 3.0);
        }
        assertThat(f.runtime.resizes).isEmpty();
        assertThat(scaleEvents(e)).isEmpty();
    }

    @Test
    void idleOrStoppedComputesAreLeftAloneAndStartOverWithABaseline() {
        Endpoint idle = f.primary(project, branch, 0.5, 8, 300, EndpointState.IDLE);
        f.runtime.markRunning(idle.uid());
        second(idle, 0);
        second(idle, 5.0);
        assertThat(f.runtime.resizes).isEmpty();

        Endpoint active = idle.withState(EndpointState.ACTIVE, f.clock.instant());
        f.store.endpoints().put(active);
        f.runtime.stop(active.uid());
        second(active, 5.0);
        assertThat(f.runtime.resizes).isEmpty();

        f.runtime.markRunning(active.uid());
        second(active, 5.0); // a new baseline: usage from before the stop says nothing
        assertThat(f.runtime.resizes).isEmpty();
        second(active, 5.0);
        assertThat(cu(active)).isEqualTo(1);
    }

    @Test
    void computeWithoutUsageFiguresIsNotScaled() {
        running(0.5, 8);
        for (int s = 0; s < 3; s++) {
            ticker.addAndGet(1_000_000_000L);
            autoscaler.tick();
        }
        assertThat(f.runtime.resizes).isEmpty();
    }

    @Test
    void runningComputeTimeIsCountedInCuHours() throws Exception {
        Endpoint e = running(2, 2);
        for (int s = 0; s < 180; s++) {
            autoscaler.tick();
        }
        // 2 CU for 180 samples of 1 s
        double hours = f.registry.get("oxbow.project.cu.hours").tag("project", "p1").functionCounter().count();
        assertThat(hours).isCloseTo(0.1, org.assertj.core.data.Offset.offset(1e-9));
        f.computes.suspend(e);
        autoscaler.tick();
        assertThat(f.registry.get("oxbow.project.cu.hours").tag("project", "p1").functionCounter().count()).isEqualTo(hours);
    }

    @ParameterizedTest(name = "up from {0} toward {1}: {2}")
    @CsvSource({"0.5,8,1", "1,8,2", "2,8,4", "3,8,6", "4,8,8", "8,8,8", "6,7,7", "12,32,24", "16,32,32", "24,32,32", "0.5,0.5,0.5", "3,5,5"})
    void upDoublesBySteps(double cu, double max, double expected) {
        assertThat(Autoscaler.up(cu, max)).isEqualTo(expected);
    }

    @ParameterizedTest(name = "down from {0} toward {1}: {2}")
    @CsvSource({"8,0.5,4", "4,0.5,2", "2,0.5,1", "1,0.5,0.5", "0.5,0.5,0.5", "3,2,2", "32,24,24", "32,0.5,16", "6,1,3", "16,10,10"})
    void downHalvesByStepsNeverBelowTheMinimum(double cu, double min, double expected) {
        assertThat(Autoscaler.down(cu, min)).isEqualTo(expected);
    }
}
