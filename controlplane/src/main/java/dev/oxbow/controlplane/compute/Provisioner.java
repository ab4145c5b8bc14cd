package dev.oxbow.controlplane.compute;

import dev.oxbow.controlplane.resource.Defaults;
import dev.oxbow.controlplane.resource.Layout;
import dev.oxbow.compute.ComputeException;
import dev.oxbow.compute.ComputeSpec;
import dev.oxbow.compute.PgAdmin;
import dev.oxbow.compute.PgConnections;
import dev.oxbow.compute.PhaseTimer;
import dev.oxbow.metadata.Branch;
import dev.oxbow.metadata.Database;
import dev.oxbow.metadata.Endpoint;
import dev.oxbow.metadata.MetadataStore;
import dev.oxbow.metadata.Project;
import dev.oxbow.metadata.Role;
import dev.oxbow.storage.BranchCloner;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;

/** The physical side of branches: creating their clusters, cloning them, measuring and removing them. */
public final class Provisioner {
    private static final Logger log = LoggerFactory.getLogger(Provisioner.class);

    private final MetadataStore store;
    private final Computes computes;
    private final BranchCloner cloner;
    private final Layout layout;
    private final java.time.Clock clock;

    public Provisioner(MetadataStore store, Computes computes, BranchCloner cloner, Layout layout, java.time.Clock clock) {
        this.clock = clock;
        this.store = store;
        this.computes = computes;
        this.cloner = cloner;
        this.layout = layout;
    }

    /**
     * The template every new root cluster is a copy of: initdb's result, started once, given what every cluster has
     * from birth ({@link BranchSql#bootstrap}) and the default database, and stopped cleanly. {@code CREATE DATABASE}
     * copies template1 through the WAL and checkpoints: 1-3 s of a project create on a throttled compute, paid once
     * per PostgreSQL version now. Its files never change, so a root's first snapshot is hard links to them. Give it a
     * new name when what it holds changes (the kept template of the old name is then simply never used again).
     */
    static final String ROOT_TEMPLATE = "root-1";

    /**
     * A new root cluster holding the branch's recorded roles and databases. Redoes from scratch after a crash. Returns
     * its logical size, measured on the connection that set it up (a second connection only for that cost a backend).
     */
    public long initRoot(Project project, Branch branch) throws Exception {
        PhaseTimer phases = PhaseTimer.start();
        Path data = layout.dataDir(project, branch);
        var runtime = computes.runtime();
        computes.stop(computes.readWriteEndpoint(branch));
        runtime.stop(seedUid(branch)); // a seeding server of an earlier attempt
        runtime.stopOrphan(data);      // ... or one a killed Oxbow left running
        cloner.delete(data);
        phases.end("prepare");
        computes.owner(project).containerDirs(data.getParent()); // the tenant's OS user is made here (useradd)
        phases.end("owner");
        java.util.Optional<Path> template = runtime.copyTemplate(project.uid(), project.pgVersion(), Defaults.SYSTEM_ROLE, ROOT_TEMPLATE, data);
        phases.end("template");
        if (template.isEmpty()) {
            runtime.initdb(project.uid(), project.pgVersion(), data, Defaults.SYSTEM_ROLE);
            phases.end("initdb");
            seed(project, branch, data);
            phases.end("seed");
        }
        // the branch's first snapshot is the cluster before its first start: links to the template's files (or a
        // copy), where a backup of the running server took a checkpoint, a copy and a wait for the WAL archive
        // what an interrupted earlier attempt left belongs to another cluster: its snapshots, and WAL of the same names
        cloner.delete(layout.snapshotsDir(project, branch));
        cloner.delete(layout.archiveDir(project, branch));
        var snapshots = new dev.oxbow.storage.SnapshotStore(cloner, clock);
        var owner = computes.owner(project);
        java.time.Instant beforeStart = clock.instant();
        long size;
        if (template.isEmpty()) {
            snapshots.adoptStopped(owner, data, layout.snapshotsDir(project, branch), template, beforeStart); // a copy of data
            phases.end("first_snapshot");
            size = applyRecords(project, branch);
            phases.end("records");
        } else {
            // links to the template read nothing of the copy: made while the copy starts (disk) and takes its records (CPU)
            java.util.concurrent.FutureTask<Void> linked = new java.util.concurrent.FutureTask<>(() -> {
                snapshots.adoptStopped(owner, data, layout.snapshotsDir(project, branch), template, beforeStart);
                return null;
            });
            Thread.ofPlatform().name("oxbow-first-snapshot-" + branch.uid()).daemon().start(linked);
            try {
                size = applyRecords(project, branch);
                phases.end("records");
            } catch (Exception e) {
                try {
                    awaitLinks(linked); // a failed create's clean-up removes the directory it writes
                } catch (Exception alsoFailed) {
                    e.addSuppressed(alsoFailed);
                }
                throw e;
            }
            awaitLinks(linked);
            phases.end("first_snapshot_wait");
        }
        log.info("branch cluster created project={} branch={} pg={} {}", project.projectId(), branch.branchId(), project.pgVersion(), phases);
        return size;
    }

    private static void awaitLinks(java.util.concurrent.FutureTask<Void> linked) throws Exception {
        try {
            linked.get();
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw e;
        }
    }

    /** Gives a fresh cluster what {@link #ROOT_TEMPLATE} holds, on a private server of its own, and keeps the result. */
    private void seed(Project project, Branch branch, Path data) throws Exception {
        var runtime = computes.runtime();
        String uid = seedUid(branch);
        Path socketDir = layout.socketDir(uid);
        try {
            runtime.start(new ComputeSpec(uid, project.uid(), project.pgVersion(), data, socketDir, Map.of("max_connections", "20")));
            try (Connection c = PgConnections.openForOxbow(socketDir, "postgres", Defaults.SYSTEM_ROLE)) {
                BranchSql.bootstrap(c);
                new PgAdmin(c).createDatabase(Defaults.DEFAULT_DATABASE, Defaults.SYSTEM_ROLE);
            }
        } finally {
            runtime.stop(uid); // a fast shutdown ends in a checkpoint: the cluster is cleanly stopped
        }
        runtime.keepTemplate(project.pgVersion(), Defaults.SYSTEM_ROLE, ROOT_TEMPLATE, data);
    }

    private static String seedUid(Branch branch) {
        return "seed-" + branch.uid();
    }

    /** The branch's read-write compute without its CPU quota until closed ({@link Computes#withoutQuota}). */
    public Computes.Unquoted withoutQuota(Branch branch) throws ComputeException {
        return computes.withoutQuota(branch);
    }

    /** Copies the parent's data as of now into the child's data directory; the parent keeps serving. Returns the LSN. */
    public String cloneFromParent(Project project, Branch parent, Branch child) throws Exception {
        return cloneFromParent(project, parent, child, layout.dataDir(project, child));
    }

    /** Copies the parent's data as of now into {@code target}; the parent keeps serving. Returns the LSN. */
    public String cloneFromParent(Project project, Branch parent, Branch child, Path target) throws Exception {
        cloner.delete(target);
        long start = System.nanoTime();
        String lsn;
        // the lease keeps the idle suspender from stopping the parent in the middle of the copy
        try (Computes.Lease parentPrimary = computes.leasePrimary(project, parent, "clone")) {
            lsn = cloner.cloneRunning(computes.owner(project), layout.socketDir(parentPrimary.endpoint()), Defaults.SYSTEM_ROLE, layout.dataDir(project, parent), target);
        }
        log.info("branch cloned project={} parent={} branch={} lsn={} strategy={} ms={}", project.projectId(), parent.branchId(),
                child.branchId(), lsn, cloner.strategyName(), (System.nanoTime() - start) / 1_000_000);
        return lsn;
    }

    /**
     * A read replica's data: an online copy of the primary's, marked as a standby so it starts in
     * recovery and streams from the primary over its private socket.
     */
    public void cloneReplica(Project project, Branch branch, Endpoint replica) throws Exception {
        Path target = layout.replicaDataDir(project, branch, replica);
        cloner.delete(target);
        long start = System.nanoTime();
        Endpoint primary = computes.ensureRunning(project, branch);
        var owner = computes.owner(project);
        String lsn = cloner.cloneRunning(owner, layout.socketDir(primary), Defaults.SYSTEM_ROLE, layout.dataDir(project, branch), target);
        cloner.markStandby(owner, target);
        log.info("replica cloned project={} branch={} endpoint={} lsn={} ms={}", project.projectId(), branch.branchId(),
                replica.endpointId(), lsn, (System.nanoTime() - start) / 1_000_000);
    }

    /** Makes the cluster hold the branch's recorded roles and databases (after its data was replaced); returns its logical size. */
    public long applyRecords(Project project, Branch branch) throws Exception {
        try (Connection c = computes.connect(project, branch, "postgres")) {
            BranchSql.bootstrap(c);
            for (Role role : store.roles().list(branch.name())) {
                BranchSql.applyRole(c, role);
            }
            for (Database db : store.databases().list(branch.name())) {
                BranchSql.applyDatabase(c, null, db, ownerRole(db));
            }
            return logicalSize(c);
        }
    }

    private static long logicalSize(Connection c) throws SQLException {
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT coalesce(sum(pg_database_size(oid)), 0) FROM pg_database WHERE datallowconn")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    public void removeReplica(Project project, Branch branch, Endpoint replica) throws IOException {
        cloner.delete(layout.replicaDataDir(project, branch, replica).getParent());
    }

    /** Sum of the branch's database sizes, as Postgres reports them; 0 if the compute cannot be reached. */
    public long logicalSize(Project project, Branch branch) {
        try (Connection c = computes.connect(project, branch, "postgres")) {
            return logicalSize(c);
        } catch (SQLException | ComputeException e) {
            log.warn("cannot measure branch size branch={} cause={}", branch.name(), e.getMessage());
            return 0;
        }
    }

    /** Stops the branch's computes and removes its files. */
    public void removeBranch(Project project, Branch branch) throws ComputeException, IOException {
        stopAll(branch);
        cloner.delete(layout.branchDir(project, branch));
    }

    public void stopAll(Branch branch) throws ComputeException {
        for (Endpoint e : store.endpoints().list(branch.name())) {
            computes.stop(e);
        }
    }

    public void removeProject(Project project) throws ComputeException, IOException {
        for (Branch b : store.branches().list(project.name())) {
            stopAll(b);
        }
        cloner.delete(layout.projectDir(project));
        try {
            computes.removeOwner(project);
        } catch (ComputeException e) {
            // the files are gone and no other project can ever get this user; it only lingers in /etc/passwd
            log.warn("cannot remove the project's OS user project={} cause={}", project.projectId(), e.getMessage());
        }
    }

    public String ownerRole(Database db) {
        return store.roles().get(Role.nameOf(db.projectId(), db.branchId(), db.ownerRoleId()))
                .map(Role::postgresRole).orElse(Defaults.SUPERUSER_ROLE);
    }
}
