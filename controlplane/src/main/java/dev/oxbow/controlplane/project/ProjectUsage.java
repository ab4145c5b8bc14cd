package dev.oxbow.controlplane.project;

import dev.oxbow.controlplane.resource.Layout;
import dev.oxbow.metadata.Branch;
import dev.oxbow.metadata.Endpoint;
import dev.oxbow.metadata.MetadataStore;
import dev.oxbow.metadata.Project;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * What ProjectStatus reports about use: when any of the project's computes was last active
 * ({@code compute_last_active_time}; an active one is active now), and the bytes the project's files take on disk
 * ({@code synthetic_storage_size_bytes}: every branch's data, WAL archive and history plus the project's snapshots,
 * a file reached through several hard links counted once; blocks shared by reflinked copies cannot be told apart
 * from here, so they count for each copy). The size walks the tree, so it is measured at most once per
 * {@link #SIZE_MAX_AGE} per project.
 */
public final class ProjectUsage {
    private static final Logger log = LoggerFactory.getLogger(ProjectUsage.class);
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
            m = new Measured(measure(layout.projectDir(project)), now);
            sizes.put(project.uid(), m);
        }
        return m.bytes();
    }

    /** Bytes of the regular files under {@code dir}, each inode once. */
    static long measure(Path dir) {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        Set<Object> seen = new HashSet<>();
        long total = 0;
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                try {
                    Map<String, Object> a = Files.readAttributes(f, "unix:ino,dev,size,mode", LinkOption.NOFOLLOW_LINKS);
                    boolean regular = ((Integer) a.get("mode") & 0170000) == 0100000;
                    if (regular && seen.add(a.get("dev") + ":" + a.get("ino"))) {
                        total += (Long) a.get("size");
                    }
                } catch (IOException | UnsupportedOperationException e) {
                    // a file removed while walking (WAL recycling, a snapshot pruned) no longer takes space
                }
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            log.debug("project size walk incomplete dir={} cause={}", dir, e.getMessage());
        }
        return total;
    }
}
