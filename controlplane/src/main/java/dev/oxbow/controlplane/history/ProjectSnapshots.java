package dev.oxbow.controlplane.history;

import dev.oxbow.compute.ComputeException;
import dev.oxbow.controlplane.compute.Computes;
import dev.oxbow.controlplane.resource.ApiException;
import dev.oxbow.controlplane.resource.Defaults;
import dev.oxbow.controlplane.resource.Layout;
import dev.oxbow.metadata.Branch;
import dev.oxbow.metadata.Project;
import dev.oxbow.metadata.ProjectSnapshot;
import dev.oxbow.storage.BranchCloner;
import dev.oxbow.storage.Snapshot;
import dev.oxbow.storage.SnapshotStore;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Clock;
import java.util.List;
import java.util.stream.Stream;

/**
 * The data of named project snapshots: each is a {@link SnapshotStore} of its own under the project's
 * {@code snapshots} directory, holding the one consistent copy taken for it. Being outside every branch's
 * history, the restore window's pruning never removes it; only deleting the snapshot (or the project) does.
 * With an object store the copy is also uploaded ({@link BucketHistory#uploadNamed}, with the upload pass), and
 * a copy missing locally (a home restored from the bucket) is downloaded again when first used.
 */
public final class ProjectSnapshots {
    private final Computes computes;
    private final BranchCloner cloner;
    private final SnapshotStore store;
    private final Timelines timelines;
    private final Layout layout;
    private final java.util.Optional<BucketHistory> bucket;

    public ProjectSnapshots(Computes computes, BranchCloner cloner, Timelines timelines, Layout layout, Clock clock,
                            java.util.Optional<BucketHistory> bucket) {
        this.bucket = bucket;
        this.computes = computes;
        this.cloner = cloner;
        this.store = new SnapshotStore(cloner, clock);
        this.timelines = timelines;
        this.layout = layout;
    }

    /** Takes the branch's data as of now into the snapshot's directory; a suspended compute is started for it and stopped again. */
    public Snapshot take(Project project, Branch branch, ProjectSnapshot snapshot) throws ComputeException, IOException, SQLException {
        Path dir = layout.projectSnapshotDir(project, snapshot.uid());
        cloner.delete(dir); // what an interrupted earlier attempt left
        try (Computes.Lease primary = computes.leasePrimary(project, branch, "named snapshot")) {
            return store.take(computes.owner(project), layout.socketDir(primary.endpoint()), Defaults.SYSTEM_ROLE,
                    layout.dataDir(project, branch), dir);
        }
    }

    /** The snapshot's stored copy; from the bucket when the local one is gone. */
    public Snapshot open(Project project, ProjectSnapshot snapshot) throws IOException {
        Path dir = layout.projectSnapshotDir(project, snapshot.uid());
        List<Snapshot> held = store.list(dir);
        if (!held.isEmpty()) {
            return held.get(held.size() - 1);
        }
        if (bucket.isPresent()) {
            try {
                java.util.Optional<Snapshot> fetched = bucket.get().downloadNamed(project, snapshot, dir);
                if (fetched.isPresent()) {
                    return fetched.get();
                }
            } catch (ComputeException e) {
                throw new IOException(e.getMessage(), e);
            }
        }
        throw ApiException.invalidState("The data of snapshot " + snapshot.name() + " is missing.");
    }

    /**
     * Makes {@code dataDir} a not yet started copy of the snapshot's data, and the first point of the history
     * beside it (the branch's own history starts at the snapshot).
     */
    public void copyInto(Project project, ProjectSnapshot snapshot, Path dataDir) throws ComputeException, IOException {
        Snapshot held = open(project, snapshot);
        cloner.delete(dataDir);
        cloner.cloneStopped(computes.owner(project), held.pgdata(), dataDir);
        timelines.adoptBranchPoint(project, dataDir, held.lsn(), held.time());
    }

    public void remove(Project project, ProjectSnapshot snapshot) throws IOException {
        cloner.delete(layout.projectSnapshotDir(project, snapshot.uid()));
        bucket.ifPresent(b -> b.removeNamedQuietly(project, snapshot));
    }

    /** Bytes the snapshot's files take (a reflinked copy shares blocks with its branch; this counts them all). */
    public long sizeBytes(Project project, ProjectSnapshot snapshot) {
        Path dir = layout.projectSnapshotDir(project, snapshot.uid());
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(f -> {
                try {
                    return Files.size(f);
                } catch (IOException e) {
                    return 0;
                }
            }).sum();
        } catch (IOException e) {
            return 0;
        }
    }
}
