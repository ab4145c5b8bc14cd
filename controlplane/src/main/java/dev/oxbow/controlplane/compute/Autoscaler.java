package dev.oxbow.controlplane.compute;

import dev.oxbow.controlplane.background.BackgroundTasks;
import java.time.Duration;
import dev.oxbow.metadata.EndpointState;
import dev.oxbow.controlplane.metrics.ControlPlaneMetrics;
import dev.oxbow.controlplane.resource.Validate;
import dev.oxbow.compute.Cgroups;
import dev.oxbow.compute.ComputeException;
import dev.oxbow.metadata.Branch;
import dev.oxbow.metadata.Endpoint;
import dev.oxbow.metadata.MetadataStore;
import dev.oxbow.metadata.Project;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Moves each running compute within [min, max] CU: samples CPU and memory every tick, scales up at once
 * (doubling, so the top of a range is seconds away) and down (halving) only after sustained quiet. Every
 * change is recorded in the audit log as SCALE.
 */
public final class Autoscaler {
    private static final Logger log = LoggerFactory.getLogger(Autoscaler.class);
    /** The sizes a compute takes on its way between min and max. */
    private static final List<Double> STEPS = List.of(0.5, 1d, 2d, 3d, 4d, 5d, 6d, 7d, 8d, 9d, 10d, 11d, 12d, 13d, 14d, 15d, 16d, 24d, 28d, 32d);

    private final MetadataStore store;
    private final Computes computes;
    private final Clock clock;
    private final Map<String, Cgroups.Usage> lastUsage = new ConcurrentHashMap<>();
    private final Map<String, Long> lastSampleNanos = new ConcurrentHashMap<>();
    private final Map<String, Long> quietSinceNanos = new ConcurrentHashMap<>();

    private final ControlPlaneMetrics metrics;
    /** Monotonic nanoseconds for CPU rates and quiet periods; tests pass a fake ticker. */
    private final LongSupplier ticker;

    public Autoscaler(MetadataStore store, Computes computes, Clock clock, ControlPlaneMetrics metrics) {
        this(store, computes, clock, metrics, System::nanoTime);
    }

    Autoscaler(MetadataStore store, Computes computes, Clock clock, ControlPlaneMetrics metrics, LongSupplier ticker) {
        this.metrics = metrics;
        this.store = store;
        this.computes = computes;
        this.clock = clock;
        this.ticker = ticker;
    }

    public void start(BackgroundTasks tasks) {
        Duration every = computes.sizing().sampleEvery();
        tasks.every("autoscaler", every, every, this::tick);
    }

    /** One sampling pass over every running compute. */
    public void tick() {
        for (Endpoint e : store.endpoints().all()) {
            try {
                boolean running = e.state() == EndpointState.ACTIVE && computes.running(e);
                if (running) {
                    metrics.computeTime(e.projectId(), computes.currentCu(e), computes.sizing().sampleEvery().toMillis() / 1000.0);
                }
                if (running && e.maxCu() > e.minCu()) {
                    sample(e);
                } else {
                    lastUsage.remove(e.uid());
                    quietSinceNanos.remove(e.uid());
                }
            } catch (RuntimeException | ComputeException ex) {
                log.warn("autoscaler pass failed endpoint={} cause={}", e.name(), ex.getMessage());
            }
        }
    }

    private void sample(Endpoint e) throws ComputeException {
        var usage = computes.runtime().usage(e.uid());
        if (usage.isEmpty()) {
            return;
        }
        long now = ticker.getAsLong();
        Cgroups.Usage previous = lastUsage.put(e.uid(), usage.get());
        Long previousAt = lastSampleNanos.put(e.uid(), now);
        if (previous == null || previousAt == null || now <= previousAt) {
            return;
        }
        double cu = computes.currentCu(e);
        var sizing = computes.sizing();
        double cpuShare = (usage.get().cpuNanos() - previous.cpuNanos()) / (double) (now - previousAt) / sizing.cpus(cu);
        double memoryShare = usage.get().memoryBytes() / (double) sizing.memoryBytes(cu);
        double target = cu;
        if (cpuShare > sizing.scaleUpAt() || memoryShare > 0.9) {
            target = up(cu, e.maxCu());
            quietSinceNanos.remove(e.uid());
        } else if (cpuShare < sizing.scaleDownBelow() && memoryShare < 0.6) {
            long quietSince = quietSinceNanos.computeIfAbsent(e.uid(), k -> now);
            if (now - quietSince >= sizing.scaleDownAfter().toNanos()) {
                target = down(cu, e.minCu());
                quietSinceNanos.put(e.uid(), now);
            }
        } else {
            quietSinceNanos.remove(e.uid());
        }
        if (target != cu) {
            Branch branch = store.branches().get(e.parentName()).orElseThrow();
            Project project = store.projects().get(Project.nameOf(e.projectId())).orElseThrow();
            computes.resize(project, branch, e, target);
            String detail = String.format("%s -> %s CU (cpu %.0f%% of quota, memory %.0f%% of limit)", Validate.fmt(cu), Validate.fmt(target),
                    cpuShare * 100, memoryShare * 100);
            store.audit().append(clock.instant(), "autoscaler", "SCALE", e.name(), Validate.fmt(target), null, detail);
            log.info("compute scaled endpoint={} {}", e.name(), detail);
        }
    }

    /** Doubling (by steps) toward max: from 0.5 the top of an 8-CU range is four ticks away. */
    static double up(double cu, double max) {
        double target = cu;
        for (double step : STEPS) {
            if (step > cu && step <= max && step <= Math.max(cu * 2, cu + 1)) {
                target = step;
            }
        }
        return target == cu ? Math.min(max, cu) : target;
    }

    /** Halving (by steps) toward min, one move per quiet period. */
    static double down(double cu, double min) {
        double target = min;
        for (double step : STEPS) {
            if (step < cu && step >= min && step <= Math.max(min, cu / 2)) {
                target = step;
            }
        }
        return target;
    }
}
