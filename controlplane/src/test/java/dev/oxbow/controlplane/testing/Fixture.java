package dev.oxbow.controlplane.testing;

import dev.oxbow.metadata.EndpointState;

import dev.oxbow.metadata.BranchState;
import dev.oxbow.controlplane.compute.ComputeSizing;
import dev.oxbow.controlplane.compute.Computes;
import dev.oxbow.controlplane.endpoint.EndpointRules;
import dev.oxbow.controlplane.metrics.ControlPlaneMetrics;
import dev.oxbow.controlplane.resource.Defaults;
import dev.oxbow.controlplane.resource.Layout;
import dev.oxbow.controlplane.resource.Limits;
import dev.oxbow.controlplane.resource.Specs;
import dev.oxbow.controlplane.resource.Uids;
import dev.oxbow.compute.ComputeException;
import dev.oxbow.compute.ProcessIdentity;
import dev.oxbow.metadata.Branch;
import dev.oxbow.metadata.Endpoint;
import dev.oxbow.metadata.EndpointDefaults;
import dev.oxbow.metadata.MetadataStore;
import dev.oxbow.metadata.Project;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * The control plane's real parts that need no PostgreSQL: a metadata store on a temporary SQLite file, the
 * {@link Computes} bookkeeping over a {@link FakeComputeRuntime}, a {@link FakeClock} and metrics in memory.
 */
public final class Fixture implements AutoCloseable {
    public static final String OWNER = "owner@example.com";

    public final FakeClock clock = new FakeClock();
    public final FakeComputeRuntime runtime = new FakeComputeRuntime();
    public final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    public final ControlPlaneMetrics metrics = new ControlPlaneMetrics(registry);
    public final Limits limits = Limits.defaults();
    public final Uids uids = new Uids();
    public final EndpointRules rules = new EndpointRules(limits, uids, ComputeSizing.defaults());
    public final Layout layout;
    public final MetadataStore store;
    public final Computes computes;

    public Fixture(Path dir) {
        this(dir, ComputeSizing.defaults());
    }

    public Fixture(Path dir, ComputeSizing sizing) {
        this.layout = new Layout(dir);
        this.store = MetadataStore.open(layout.metadataFile());
        this.computes = new Computes(runtime, layout, store, clock, sizing, identities(), Duration.ZERO, (project, branch) -> { });
    }

    /** Detected once per JVM (it forks {@code id}); an immutable fact about the machine, not shared test state. */
    private static final class Identity {
        static final ProcessIdentity DETECTED = detect();

        private static ProcessIdentity detect() {
            try {
                return ProcessIdentity.detect(null);
            } catch (ComputeException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    public static ProcessIdentity identity() {
        return Identity.DETECTED;
    }

    /** Every project under the one detected identity: the fake runtime starts nothing, so no OS users are made. */
    static dev.oxbow.compute.ProcessIdentities identities() {
        try {
            return dev.oxbow.compute.ProcessIdentities.shared(identity());
        } catch (ComputeException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A stored, live project with CU defaults 0.5-4 and a 300 s suspend timeout, owned by {@link #OWNER}. */
    public Project project(String projectId) {
        Project p = new Project(projectId, uids.project(), clock.instant(), clock.instant(), null, null, "Project " + projectId,
                17, Defaults.HISTORY_RETENTION_SECONDS, new EndpointDefaults(0.5, 4, 300L, false, Map.of()),
                Defaults.DEFAULT_BRANCH, null, null, false, OWNER);
        store.projects().insert(p);
        return p;
    }

    /** A stored READY root branch. */
    public Branch rootBranch(Project p, String branchId) {
        Branch b = Branch.newBranch(p.projectId(), branchId, uids.branch(), clock.instant()).state(BranchState.READY).pendingState(null)
                .isDefault(Defaults.DEFAULT_BRANCH.equals(branchId)).build();
        store.branches().insert(b);
        return b;
    }

    /** A stored endpoint built by the real rules from {@code spec}, in {@code state}. */
    public Endpoint endpoint(Project p, Branch b, String endpointId, Specs.EndpointSpec spec, EndpointState state) {
        Endpoint e = rules.newEndpoint(p, b, endpointId, spec, clock.instant()).withState(state, clock.instant());
        store.endpoints().insert(e);
        return e;
    }

    /** A stored read-write endpoint sized {@code min}-{@code max} CU with a suspend timeout. */
    public Endpoint primary(Project p, Branch b, double min, double max, long suspendSeconds, EndpointState state) {
        return endpoint(p, b, Defaults.PRIMARY_ENDPOINT, spec(Endpoint.READ_WRITE, min, max, suspendSeconds), state);
    }

    public static Specs.EndpointSpec spec(String type, Double min, Double max, Long suspendSeconds) {
        return new Specs.EndpointSpec(type, min, max, suspendSeconds, null, null, null, null);
    }

    @Override
    public void close() {
        runtime.close();
        store.close();
    }
}
