package dev.oxbow.controlplane.compute;

import dev.oxbow.controlplane.background.BackgroundTasks;
import dev.oxbow.metadata.EndpointState;
import dev.oxbow.metadata.Endpoint;
import dev.oxbow.metadata.MetadataStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Recent size, state and connection count of every endpoint, for the console's CU-over-time graph: a
 * fixed number of samples per endpoint in memory (a restart starts the graph afresh; /metrics is the
 * durable record). Samples come from the same figures /metrics reports.
 */
public final class EndpointHistory {
    private static final Logger log = LoggerFactory.getLogger(EndpointHistory.class);

    /** One observation of an endpoint; {@code cu} is 0 when no server runs. */
    public record Sample(Instant time, EndpointState state, double cu, int connections) {}

    private final MetadataStore store;
    private final Computes computes;
    private final ComputeActivity activity;
    private final Clock clock;
    private final int capacity;
    private final Map<String, ArrayDeque<Sample>> samples = new ConcurrentHashMap<>();

    public EndpointHistory(MetadataStore store, Computes computes, ComputeActivity activity, Clock clock, int capacity) {
        this.store = store;
        this.computes = computes;
        this.activity = activity;
        this.clock = clock;
        this.capacity = capacity;
    }

    public void start(BackgroundTasks tasks, Duration every) {
        tasks.every("cu-samples", Duration.ZERO, every, () -> {
            try {
                sample();
            } catch (RuntimeException e) {
                log.warn("history sample failed cause={}", e.getMessage());
            }
        });
    }

    /** Takes one sample of every endpoint and forgets endpoints that no longer exist; public so tests need not wait. */
    public void sample() {
        Instant now = clock.instant();
        Set<String> seen = new HashSet<>();
        for (Endpoint e : store.endpoints().all()) {
            seen.add(e.uid());
            boolean running = computes.running(e);
            Sample s = new Sample(now, e.state(), running ? computes.currentCu(e) : 0, activity.connections(e.uid()));
            ArrayDeque<Sample> ring = samples.computeIfAbsent(e.uid(), k -> new ArrayDeque<>(capacity));
            synchronized (ring) {
                if (ring.size() == capacity) {
                    ring.removeFirst();
                }
                ring.addLast(s);
            }
        }
        samples.keySet().retainAll(seen);
    }

    /** The endpoint's samples, oldest first (empty when none were taken yet). */
    public List<Sample> of(String endpointUid) {
        ArrayDeque<Sample> ring = samples.get(endpointUid);
        if (ring == null) {
            return List.of();
        }
        synchronized (ring) {
            return List.copyOf(ring);
        }
    }

}
