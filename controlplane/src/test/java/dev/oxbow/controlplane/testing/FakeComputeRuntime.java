package dev.oxbow.controlplane.testing;

import dev.oxbow.compute.Cgroups;
import dev.oxbow.compute.ComputeException;
import dev.oxbow.compute.ComputeListener;
import dev.oxbow.compute.ComputeRuntime;
import dev.oxbow.compute.ComputeSpec;
import dev.oxbow.compute.RunningCompute;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A {@link ComputeRuntime} that runs nothing: it records every call, keeps "running" servers in a map,
 * and reports whatever usage a test sets.
 */
public final class FakeComputeRuntime implements ComputeRuntime {
    public record Resize(String uid, long memoryBytes, double cpus) {}

    public final List<String> calls = new CopyOnWriteArrayList<>();
    public final List<Resize> resizes = new CopyOnWriteArrayList<>();
    public final List<ComputeSpec> started = new CopyOnWriteArrayList<>();
    public final List<ComputeSpec> reloaded = new CopyOnWriteArrayList<>();
    private final Map<String, RunningCompute> running = new ConcurrentHashMap<>();
    private final Map<String, Cgroups.Usage> usage = new ConcurrentHashMap<>();
    public volatile ComputeException failStart;
    /** When set, starts wait for it, so a test can hold a wake-up in progress. */
    public volatile java.util.concurrent.CountDownLatch startGate;
    /** Start and stop of one endpoint never overlap, as in the real runtime: a stop waits for a start in progress. */
    private final Map<String, Object> locks = new ConcurrentHashMap<>();

    private Object lockFor(String uid) {
        return locks.computeIfAbsent(uid, k -> new Object());
    }

    /** Marks a server as running without a start call, as one left from before would be. */
    public void markRunning(String uid) {
        running.put(uid, new RunningCompute(uid, 4242, Path.of("/nonexistent/" + uid), Path.of("/nonexistent/run/" + uid), 17));
    }

    /** Poolers that accept connections now, by endpoint uid (none unless a test puts one). */
    public final Map<String, dev.oxbow.compute.RunningPooler> poolers = new ConcurrentHashMap<>();

    @Override
    public Optional<dev.oxbow.compute.RunningPooler> pooler(String endpointUid) {
        return Optional.ofNullable(poolers.get(endpointUid));
    }

    public void setUsage(String uid, long cpuNanos, long memoryBytes) {
        usage.put(uid, new Cgroups.Usage(cpuNanos, memoryBytes));
    }

    public boolean isRunning(String uid) {
        return running.containsKey(uid);
    }

    @Override
    public void initdb(String tenant, int pgVersion, Path dataDir, String superuser) {
        calls.add("initdb " + dataDir);
    }

    @Override
    public RunningCompute start(ComputeSpec spec) throws ComputeException {
        synchronized (lockFor(spec.endpointUid())) {
            return startLocked(spec);
        }
    }

    private RunningCompute startLocked(ComputeSpec spec) throws ComputeException {
        calls.add("start " + spec.endpointUid());
        if (startGate != null) {
            try {
                startGate.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ComputeException("interrupted", e);
            }
        }
        if (failStart != null) {
            throw failStart;
        }
        started.add(spec);
        RunningCompute rc = new RunningCompute(spec.endpointUid(), 4242, spec.dataDir(), spec.socketDir(), spec.pgVersion());
        running.put(spec.endpointUid(), rc);
        return rc;
    }

    @Override
    public void stop(String endpointUid) {
        synchronized (lockFor(endpointUid)) {
            calls.add("stop " + endpointUid);
            running.remove(endpointUid);
        }
    }

    /** When set, suspends wait for it (holding the endpoint's lock), so a test can hold a suspend in progress. */
    public volatile java.util.concurrent.CountDownLatch suspendGate;

    /** Like {@link #stop}, recorded as "suspend uid" (the real runtime keeps the endpoint's pooler). */
    @Override
    public void suspend(String endpointUid) throws ComputeException {
        synchronized (lockFor(endpointUid)) {
            calls.add("suspend " + endpointUid);
            if (suspendGate != null) {
                try {
                    suspendGate.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new ComputeException("interrupted", e);
                }
            }
            running.remove(endpointUid);
        }
    }

    @Override
    public Optional<RunningCompute> find(String endpointUid) {
        return Optional.ofNullable(running.get(endpointUid));
    }

    @Override
    public void stopOrphan(Path dataDir) {
        calls.add("stopOrphan " + dataDir);
    }

    @Override
    public void setListener(ComputeListener listener) {}

    @Override
    public void resize(String endpointUid, long memoryBytes, double cpus) {
        calls.add("resize " + endpointUid);
        resizes.add(new Resize(endpointUid, memoryBytes, cpus));
    }

    @Override
    public Optional<Cgroups.Usage> usage(String endpointUid) {
        return Optional.ofNullable(usage.get(endpointUid));
    }

    @Override
    public String resourceControl() {
        return "fake";
    }

    @Override
    public void reload(ComputeSpec spec) {
        calls.add("reload " + spec.endpointUid());
        reloaded.add(spec);
    }

    @Override
    public void close() {
        running.clear();
    }
}
