package dev.oxbow.controlplane.resource;

import dev.oxbow.metadata.Branch;
import dev.oxbow.metadata.Endpoint;
import dev.oxbow.metadata.Project;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Where everything lives under the data directory. Directories are keyed by uid, not id, so a
 * resource deleted and created again under the same id never meets its predecessor's files.
 */
public record Layout(Path home) {
    /** Unix socket paths are limited to 107 bytes; longer homes keep their sockets under /tmp. */
    private static final int MAX_SOCKET_DIR = 80;

    public Path metadataFile() { return home.resolve("oxbow.db"); }
    public Path pgInstallRoot() { return home.resolve("pg"); }
    public Path adminTokenFile() { return home.resolve("admin-token"); }
    public Path projectsRoot() { return home.resolve("projects"); }
    /** Where compute socket directories live (unless the home's path is too long for sockets). */
    public Path runRoot() { return home.resolve("run"); }

    public Path projectDir(Project project) {
        return projectsRoot().resolve(project.uid());
    }

    public Path branchDir(Project project, Branch branch) {
        return projectDir(project).resolve("branches").resolve(branch.uid());
    }

    public Path dataDir(Project project, Branch branch) {
        return branchDir(project, branch).resolve("pgdata");
    }

    /** The branch's continuous WAL archive (its server's archive_command names it relative to pgdata). */
    public Path archiveDir(Project project, Branch branch) {
        return branchDir(project, branch).resolve(dev.oxbow.storage.WalArchive.DIR);
    }

    public Path snapshotsDir(Project project, Branch branch) {
        return branchDir(project, branch).resolve(dev.oxbow.storage.SnapshotStore.DIR);
    }

    /** A named project snapshot's own directory (a snapshot store holding its one snapshot), outside every branch's history. */
    public Path projectSnapshotDir(Project project, String snapshotUid) {
        return projectDir(project).resolve("snapshots").resolve(snapshotUid);
    }

    /** The project's ephemeral time-travel computes (read-only servers at past points); never kept across a restart. */
    public Path pastComputesDir(Project project) {
        return projectDir(project).resolve("time-travel");
    }

    /** Where a restore or reset builds the branch's next directory before swapping it in. */
    public Path stagingDir(Project project, Branch branch) {
        return branchDir(project, branch).resolveSibling(branch.uid() + ".staging");
    }

    /** Where a reset moves the branch's previous directory before removing it. */
    public Path discardDir(Project project, Branch branch) {
        return branchDir(project, branch).resolveSibling(branch.uid() + ".discard");
    }

    /** A read replica's own data directory: a standby copy of the branch's, beside it. */
    public Path replicaDataDir(Project project, Branch branch, Endpoint replica) {
        return branchDir(project, branch).resolve("replicas").resolve(replica.uid()).resolve("pgdata");
    }

    /** The data directory the endpoint's server runs on. */
    public Path dataDir(Project project, Branch branch, Endpoint endpoint) {
        return endpoint.readWrite() ? dataDir(project, branch) : replicaDataDir(project, branch, endpoint);
    }

    public Path socketDir(Endpoint endpoint) {
        return socketDir(endpoint.uid());
    }

    /** The socket directory of a server by its uid (an endpoint's, or a temporary recovery server's). */
    public Path socketDir(String uid) {
        Path preferred = runRoot().resolve(uid).toAbsolutePath();
        if (preferred.toString().length() <= MAX_SOCKET_DIR) {
            return preferred;
        }
        return Path.of("/tmp", "oxbow-" + shortHash(home.toAbsolutePath().toString()), uid);
    }

    private static String shortHash(String s) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 4);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
