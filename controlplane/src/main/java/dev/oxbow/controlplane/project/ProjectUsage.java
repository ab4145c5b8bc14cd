package dev.oxbow.controlplane.project;

import dev.oxbow.controlplane.resource.Layout;
import dev.oxbow.metadata.Branch;
import dev.oxbow.metadata.Endpoint;
import dev.oxbow.metadata.MetadataStore;
import dev.oxbow.metadata.Project;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What ProjectStatus reports about use: when any of the project's computes was last active
 * ({@code compute_last_active_time}; an active one is active now), and the bytes the project's files take on disk
 * ({@code synthetic_storage_size_bytes}: every branch's data, WAL archive and history plus the project's snapshots,
 * each block once: hard links and, on copy-on-write filesystems, blocks shared by reflinked copies — see
 * {@link dev.oxbow.storage.DiskUsage}). The size walks the tree, so it is measured at most once per
 * {@link #SIZE_MAX_AGE} per project.
 */
public final class ProjectUsage {
    public static final Duration SIZE_MAX_AGE = Duration.ofSeconds(60);

    private record Measured(long bytes, Instant at) {}

    private final MetadataStore store;
    private final Layout layout;
    private final Clock clock;
    private final Map<String, Measured> sizes = new ConcurrentHashMap<>();

    public ProjectUsage(MetadataStore store, Layout layout, Clock clock) {
        this.store = store;
        this.layout = layout;
        this.clock = clock;
    }

    public Optional<Instant> computeLastActiveTime(Project project) {
        Instant now = clock.instant();
        Instant last = null;
        for (Branch b : store.branches().list(project.name())) {
            for (Endpoint e : store.endpoints().list(b.name())) {
                Instant t = e.state() == dev.oxbow.metadata.EndpointState.ACTIVE ? now : e.lastActiveTime();
                if (t != null && (last == null || t.isAfter(last))) {
                    last = t;
                }
            }
        }
        return Optional.ofNullable(last);
    }

    public long storageBytes(Project project) {
        Instant now = clock.instant();
        Measured m = sizes.get(project.uid());
        if (m == null || m.at().plus(SIZE_MAX_AGE).isBefore(now)) {
            m = new Measured(dev.oxbow.storage.DiskUsage.bytes(layout.projectDir(project)), now);
            sizes.put(project.uid(), m);
        }
        return m.bytes();
    }

}
