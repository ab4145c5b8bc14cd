package dev.oxbow.controlplane.history;

import dev.oxbow.compute.ComputeException;
import dev.oxbow.compute.ComputeSpec;
import dev.oxbow.compute.PgConnections;
import dev.oxbow.controlplane.compute.Computes;
import dev.oxbow.controlplane.resource.Defaults;
import dev.oxbow.controlplane.resource.Layout;
import dev.oxbow.metadata.Branch;
import dev.oxbow.metadata.Project;
import dev.oxbow.storage.BranchCloner;
import dev.oxbow.storage.PointInTimeRecovery.Target;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The servers behind time travel: a copy of the snapshot before the point (the history machinery of branch-from-the-past),
 * started as a hot standby that replays the branch's WAL archive up to the point and pauses there. A server in
 * recovery refuses every write itself, whatever a session SETs, and it runs as the project's OS user like its computes.
 * Files live in {@link Layout#pastComputesDir}, outside every branch, and never outlive the process that made them.
 */
public final class PastServers implements PastComputes.Servers {
    private static final Logger log = LoggerFactory.getLogger(PastServers.class);
    private static final Duration REPLAY_TIMEOUT = Duration.ofMinutes(10);

    private final Timelines timelines;
    private final Computes computes;
    private final BranchCloner cloner;
    private final Layout layout;

    public PastServers(Timelines timelines, Computes computes, BranchCloner cloner, Layout layout) {
        this.timelines = timelines;
        this.computes = computes;
        this.cloner = cloner;
        this.layout = layout;
    }

    @Override
    public void checkWindow(Project project, Target point) {
        timelines.checkWindow(project, point, PastComputes.FIELD);
    }

    @Override
    public Path start(Project project, Branch branch, Target point, String uid) throws Exception {
        dev.oxbow.compute.PhaseTimer phases = dev.oxbow.compute.PhaseTimer.start();
        Timelines.Source source = timelines.resolve(project, branch, point, PastComputes.FIELD);
        phases.end("resolve");
        Path dir = layout.pastComputesDir(project).resolve(uid);
        Path socketDir = layout.socketDir(uid);
        try {
            computes.owner(project).containerDirs(dir);
            Path dataDir = dir.resolve("pgdata");
            Map<String, String> settings = timelines.preparePaused(project, branch, source, point, dataDir, phases);
            computes.runtime().start(new ComputeSpec(uid, project.uid(), project.pgVersion(), dataDir, socketDir, settings));
            phases.end("start");
            awaitPaused(uid, socketDir, point);
            phases.end("replay");
            log.info("time-travel server ready uid={} branch={} source={} snapshot_lsn={} point={} {}", uid, branch.name(), source.branch().name(),
                    source.snapshot().lsn(), point, phases);
            return socketDir;
        } catch (Exception e) {
            remove(project, uid);
            throw e;
        }
    }

    /**
     * A hot standby accepts connections once consistent, which may be before the point: it serves only once replay has
     * stopped at the target ({@code recovery_target_action=pause}).
     */
    private void awaitPaused(String uid, Path socketDir, Target point) throws Exception {
        long deadline = System.nanoTime() + REPLAY_TIMEOUT.toNanos();
        while (true) {
            try (Connection c = PgConnections.openForOxbow(socketDir, "postgres", Defaults.SYSTEM_ROLE); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT pg_is_in_recovery(), pg_get_wal_replay_pause_state()")) {
                rs.next();
                if (!rs.getBoolean(1)) {
                    throw new ComputeException("the server at " + point + " left recovery; it is not a read-only copy");
                }
                if ("paused".equals(rs.getString(2))) {
                    return;
                }
            } catch (SQLException e) {
                if (!"57P03".equals(e.getSQLState())) {
                    throw new ComputeException("the server at " + point + " failed while replaying: " + e.getMessage(), e);
                }
            }
            if (computes.runtime().find(uid).isEmpty() || System.nanoTime() > deadline) {
                throw new ComputeException("the branch's WAL was not replayed up to " + point + " (the server stopped or took longer than "
                        + REPLAY_TIMEOUT.toMinutes() + " min)");
            }
            Thread.sleep(20);
        }
    }

    @Override
    public void remove(Project project, String uid) {
        try {
            computes.runtime().stop(uid);
        } catch (ComputeException e) {
            log.warn("time-travel compute not stopped uid={} cause={}", uid, e.getMessage());
        }
        try {
            cloner.delete(layout.pastComputesDir(project).resolve(uid));
            cloner.delete(layout.socketDir(uid));
        } catch (IOException e) {
            log.warn("time-travel compute files not deleted uid={} cause={}", uid, e.getMessage());
        }
    }

    @Override
    public void sweep(List<Project> projects) {
        for (Project project : projects) {
            Path root = layout.pastComputesDir(project);
            if (!Files.isDirectory(root)) {
                continue;
            }
            try (DirectoryStream<Path> dirs = Files.newDirectoryStream(root)) {
                for (Path dir : dirs) {
                    try {
                        computes.runtime().stopOrphan(dir.resolve("pgdata"));
                    } catch (ComputeException e) {
                        log.warn("orphaned time-travel server not stopped dir={} cause={}", dir, e.getMessage());
                    }
                    cloner.delete(dir);
                    cloner.delete(layout.socketDir(dir.getFileName().toString()));
                    log.info("time-travel compute left by an earlier process removed project={} dir={}", project.name(), dir.getFileName());
                }
            } catch (IOException e) {
                log.warn("time-travel directories not swept project={} cause={}", project.name(), e.getMessage());
            }
        }
    }
}
