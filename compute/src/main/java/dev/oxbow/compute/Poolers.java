package dev.oxbow.compute;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;

/**
 * One PgBouncer per compute, supervised like its postgres: started after the server accepts connections and
 * stopped before it (kept through a suspend, when only the server stops: its idle clients stay connected), run as the compute's OS identity with its own config and socket in {@code <socketDir>-pooler},
 * restarted at once when it exits unexpectedly (until the restart policy's crash budget is spent). A pooler that
 * cannot start leaves its compute running: only the pooled host is unavailable.
 */
final class Poolers {
    private static final Logger log = LoggerFactory.getLogger(Poolers.class);
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(5);
    static final String DIR_SUFFIX = "-pooler";

    private final PoolerBinary binary;
    /** Oxbow's superuser: creates the pooler's role on a primary. */
    private final String adminRole;
    private final ProcessIdentities identities;
    private final RestartPolicy restartPolicy;
    private final ProcessLauncher launcher;
    private final ExecutorService supervisor;
    private final ServerStops serverStops;
    private final Map<String, ManagedPooler> poolers = new ConcurrentHashMap<>();

    /**
     * Whether a stop or suspend of the endpoint's server has begun (or it runs no server): then a role connection that
     * failed was ended by that shutdown, not by anything wrong with the pooler. A stop is marked before the server is
     * signalled, so a connection it ends always sees the mark.
     */
    interface ServerStops {
        boolean stoppingOrGone(String endpointUid);
    }

    Poolers(PoolerBinary binary, String adminRole, ProcessIdentities identities, RestartPolicy restartPolicy, ProcessLauncher launcher,
            ExecutorService supervisor, ServerStops serverStops) {
        this.binary = binary;
        this.adminRole = adminRole;
        this.identities = identities;
        this.restartPolicy = restartPolicy;
        this.launcher = launcher;
        this.supervisor = supervisor;
        this.serverStops = serverStops;
    }

    /** Where an endpoint's pooler listens: beside the compute's own socket directory. */
    static Path socketDir(ComputeSpec spec) {
        Path own = spec.socketDir().toAbsolutePath().normalize();
        return own.resolveSibling(own.getFileName() + DIR_SUFFIX);
    }

    static Path logFile(ComputeSpec spec) {
        return spec.logFile().resolveSibling("pgbouncer.log");
    }

    /**
     * As {@link #start}, but off the caller's thread: a wake need not wait for the pooler (direct connections do not use
     * it). The pooler is registered at once, so a pooled connection arriving meanwhile waits for it ({@link #await});
     * one that cannot start is given up and that connection refused.
     */
    void startInBackground(ComputeSpec spec) throws ComputeException {
        ManagedPooler kept = poolers.get(spec.endpointUid());
        if (kept != null && !kept.stopping() && socketDir(kept.spec).equals(socketDir(spec)) && kept.spec.tenant().equals(spec.tenant())) {
            // kept through a suspend: its clients stay; it takes the new settings (pool size) and reconnects on demand
            reload(spec);
            log.info("pooler kept endpoint={} pid={}", spec.endpointUid(), kept.current().map(RunningPooler::pid).orElse(-1L));
            if (!kept.roleReady()) {
                // its start met a suspended server: the role is made now that one serves again
                supervisor.execute(() -> ensureRoleQuietly(kept));
            }
            return;
        }
        stop(spec.endpointUid());
        ManagedPooler pooler = new ManagedPooler(spec, new CrashHistory(restartPolicy));
        poolers.put(spec.endpointUid(), pooler);
        supervisor.execute(() -> {
            try {
                launch(pooler);
            } catch (ComputeException | RuntimeException e) {
                log.warn("pooler not started endpoint={} cause={}", spec.endpointUid(), e.getMessage());
                pooler.giveUp();
                poolers.remove(spec.endpointUid(), pooler);
            }
        });
    }

    private void launch(ManagedPooler pooler) throws ComputeException {
        ComputeSpec spec = pooler.spec;
        Path dir = socketDir(spec);
        try {
            ServerConfig.checkSocketDir(dir);
            ProcessIdentity identity = identities.forTenant(spec.tenant());
            identity.privateDir(dir);
            stopLeftover(dir);
            ensureRoleUnlessStopped(pooler);
            writeConfig(spec, identity);
            ServerLog.prepare(logFile(spec), "starting pooler endpoint=" + spec.endpointUid() + " pgbouncer=" + binary.version());
        } catch (IOException e) {
            throw new ComputeException("cannot prepare the pooler of endpoint " + spec.endpointUid() + ": " + e, e);
        }
        long start = System.nanoTime();
        launchAndAwait(pooler);
        log.info("pooler started endpoint={} pid={} pgbouncer={} socket_dir={} pool_size={} in_ms={}", spec.endpointUid(),
                pooler.current().map(RunningPooler::pid).orElse(-1L), binary.version(), dir,
                config(spec).poolSize(), (System.nanoTime() - start) / 1_000_000);
    }

    /** Rewrites the config (the pool follows max_connections) and makes the running pooler reload it (SIGHUP). */
    void reload(ComputeSpec spec) throws ComputeException {
        ManagedPooler pooler = poolers.get(spec.endpointUid());
        if (pooler == null) {
            return;
        }
        try {
            writeConfig(spec, identities.forTenant(spec.tenant()));
        } catch (IOException e) {
            throw new ComputeException("cannot rewrite the pooler config of endpoint " + spec.endpointUid() + ": " + e, e);
        }
        pooler.current().ifPresent(p -> OsProcesses.signal(p.pid(), "HUP"));
    }

    /** Immediate shutdown (SIGQUIT: clients are dropped, as the compute's fast shutdown drops them); no-op if none. */
    void stop(String endpointUid) throws ComputeException {
        ManagedPooler pooler = poolers.remove(endpointUid);
        if (pooler == null) {
            return;
        }
        Process p = pooler.beginStop();
        if (p != null && p.isAlive()) {
            terminate(p.pid(), p::isAlive);
        }
        log.info("pooler stopped endpoint={} pid={}", endpointUid, p == null ? -1 : p.pid());
    }

    /** Stops every pooler (the runtime closes). */
    void stopAll() {
        for (String uid : java.util.List.copyOf(poolers.keySet())) {
            try {
                stop(uid);
            } catch (ComputeException | RuntimeException e) {
                log.error("cannot stop pooler endpoint={} cause={}", uid, e.getMessage());
            }
        }
    }

    Optional<RunningPooler> find(String endpointUid) {
        ManagedPooler pooler = poolers.get(endpointUid);
        return pooler == null ? Optional.empty() : pooler.current();
    }

    /** The pooler once it accepts connections, waiting while a restart is under way. */
    Optional<RunningPooler> await(String endpointUid, Duration max) throws InterruptedException {
        ManagedPooler pooler = poolers.get(endpointUid);
        return pooler == null ? Optional.empty() : pooler.awaitRunning(max);
    }

    /**
     * Makes the pooler's role, unless a suspend (or stop) of the server ends that connection: the race this closes is a
     * suspend landing mid-start, which ended it ("terminating connection due to administrator command") and had the
     * pooler given up. Then the pooler starts anyway (its clients wait for the next wake) and the role is left to the
     * next start, which finds the pooler kept. Nothing waits on a lock: a suspend is never held up by a pooler's start.
     */
    private void ensureRoleUnlessStopped(ManagedPooler pooler) throws ComputeException {
        String uid = pooler.spec.endpointUid();
        if (serverStops.stoppingOrGone(uid)) {
            log.info("pooler role deferred: the server is stopping or stopped endpoint={}", uid);
            return;
        }
        try {
            ensureRole(pooler.spec);
            pooler.roleMade();
        } catch (ComputeException e) {
            if (!serverStops.stoppingOrGone(uid)) {
                throw e;
            }
            log.info("pooler role deferred: the server stopped under it endpoint={} cause={}", uid, e.getMessage());
        }
    }

    private void ensureRoleQuietly(ManagedPooler pooler) {
        try {
            if (!pooler.stopping()) {
                ensureRoleUnlessStopped(pooler);
            }
        } catch (ComputeException | RuntimeException e) {
            log.warn("pooler role not made endpoint={} cause={}", pooler.spec.endpointUid(), e.getMessage());
        }
    }

    /**
     * Creates the pooler's role on a primary (a standby has its primary's roles). LOGIN only: it reads pg_roles, which
     * every role may.
     */
    private void ensureRole(ComputeSpec spec) throws ComputeException {
        try (java.sql.Connection c = PgConnections.openForOxbow(spec.socketDir(), "postgres", adminRole);
             java.sql.Statement s = c.createStatement()) {
            try (java.sql.ResultSet rs = s.executeQuery("SELECT pg_catalog.pg_is_in_recovery()")) {
                rs.next();
                if (rs.getBoolean(1)) {
                    return;
                }
            }
            s.execute("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = '" + RunningPooler.ROLE + "') THEN"
                    + " CREATE ROLE " + RunningPooler.ROLE + " LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;"
                    + " END IF; END $$");
        } catch (java.sql.SQLException e) {
            throw new ComputeException("cannot create the pooler's role on endpoint " + spec.endpointUid() + ": " + e.getMessage(), e);
        }
    }

    private PoolerConfig config(ComputeSpec spec) {
        return PoolerConfig.of(spec, socketDir(spec), binary.preparedStatements());
    }

    private void writeConfig(ComputeSpec spec, ProcessIdentity identity) throws IOException {
        Path dir = socketDir(spec);
        identity.writeFile(dir.resolve(PoolerConfig.AUTH_FILE), "");
        Path ini = dir.resolve(PoolerConfig.FILE);
        Path tmp = dir.resolve(PoolerConfig.FILE + ".oxbow-tmp");
        identity.writeFile(tmp, config(spec).render());
        Files.move(tmp, ini, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private void launchAndAwait(ManagedPooler pooler) throws ComputeException {
        ComputeSpec spec = pooler.spec;
        Path dir = socketDir(spec);
        // umask 077: PgBouncer creates its pidfile (and socket) with the process umask; nothing here is for others
        java.util.List<String> command = new java.util.ArrayList<>(java.util.List.of("sh", "-c", "umask 077 && exec \"$@\"", "sh"));
        command.addAll(identities.forTenant(spec.tenant())
                .wrap(java.util.List.of(binary.path().toString(), dir.resolve(PoolerConfig.FILE).toString())));
        ProcessBuilder pb = new ProcessBuilder(command)
                .directory(dir.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile(spec).toFile()));
        pb.environment().keySet().removeIf(k -> k.startsWith("PG"));
        Path socket = dir.resolve(PgConnections.SOCKET_FILE);
        Process p;
        try {
            // a socket file left by a killed pgbouncer would look like readiness
            Files.deleteIfExists(socket);
            p = launcher.start(pb);
        } catch (IOException e) {
            throw new ComputeException("cannot launch pgbouncer for endpoint " + spec.endpointUid() + ": " + e, e);
        }
        if (!pooler.adopt(p)) {
            terminate(p.pid(), p::isAlive);
            throw new ComputeException("the pooler of endpoint " + spec.endpointUid() + " was stopped while starting");
        }
        boolean ready = OsProcesses.await(() -> !p.isAlive() || accepts(socket), READY_TIMEOUT) && p.isAlive();
        if (!ready) {
            terminate(p.pid(), p::isAlive);
            throw new ComputeException("pgbouncer for endpoint " + spec.endpointUid() + " did not accept connections"
                    + (p.isAlive() ? " within " + READY_TIMEOUT.toSeconds() + " s" : " (exit code " + p.exitValue() + ")") + "; log "
                    + logFile(spec) + ":\n" + ServerLog.tail(logFile(spec)));
        }
        pooler.ready(new RunningPooler(spec.endpointUid(), p.pid(), dir, binary.version()));
        p.onExit().thenAcceptAsync(exited -> onExit(pooler, exited), supervisor);
    }

    private static boolean accepts(Path socket) {
        if (!Files.exists(socket)) {
            return false;
        }
        try (var ch = java.nio.channels.SocketChannel.open(java.net.UnixDomainSocketAddress.of(socket))) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** An unexpected exit: restart at once, until the crash budget is spent; the compute itself is left alone. */
    private void onExit(ManagedPooler pooler, Process exited) {
        if (!pooler.crashed(exited)) {
            return;
        }
        String uid = pooler.spec.endpointUid();
        pooler.restartBegins();
        try {
            while (true) {
                int crashes = pooler.crashes.record(System.nanoTime());
                if (crashes > restartPolicy.maxCrashes()) {
                    pooler.giveUp();
                    poolers.remove(uid, pooler);
                    log.error("pooler crashed {} times within {} s, not restarting endpoint={} log_tail=\n{}", crashes,
                            restartPolicy.window().toSeconds(), uid, ServerLog.tail(logFile(pooler.spec)));
                    return;
                }
                log.warn("pooler exited, restarting endpoint={} pid={} exit_code={} crashes_in_window={}", uid, exited.pid(),
                        exited.exitValue(), crashes);
                try {
                    ServerLog.prepare(logFile(pooler.spec), "restarting pooler endpoint=" + uid + " after exit code " + exited.exitValue());
                    launchAndAwait(pooler);
                    log.info("pooler restarted endpoint={} attempt={}", uid, crashes);
                    return;
                } catch (ComputeException | IOException e) {
                    if (pooler.stopping()) {
                        return;
                    }
                    log.warn("pooler restart failed endpoint={} cause={}", uid, e.getMessage());
                }
            }
        } finally {
            pooler.restartEnds();
        }
    }

    /** A pgbouncer that an earlier, killed Oxbow left on this directory (pidfile) holds the socket: stop it. */
    private static void stopLeftover(Path dir) throws ComputeException {
        Path pidFile = dir.resolve(PoolerConfig.PID_FILE);
        try {
            if (!Files.isRegularFile(pidFile, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                return;
            }
            long pid = Long.parseLong(Files.readString(pidFile).strip());
            if (OsProcesses.isRunning(pid) && OsProcesses.commandLine(pid).contains("pgbouncer")
                    && OsProcesses.commandLine(pid).contains(dir.resolve(PoolerConfig.FILE).toString())) {
                log.warn("stopping orphaned pgbouncer left by an earlier oxbow process dir={} pid={}", dir, pid);
                terminate(pid, () -> OsProcesses.isRunning(pid));
            }
        } catch (IOException | NumberFormatException e) {
            // no usable pidfile: nothing to stop; pgbouncer itself replaces a stale one
        }
    }

    private static void terminate(long pid, java.util.function.BooleanSupplier alive) throws ComputeException {
        OsProcesses.signal(pid, "QUIT");
        if (OsProcesses.await(() -> !alive.getAsBoolean(), STOP_TIMEOUT)) {
            return;
        }
        OsProcesses.signal(pid, "KILL");
        if (!OsProcesses.await(() -> !alive.getAsBoolean(), STOP_TIMEOUT)) {
            throw new ComputeException("pgbouncer pid " + pid + " does not exit even after SIGKILL");
        }
    }

    /** One endpoint's pooler across restarts. */
    private static final class ManagedPooler extends SupervisedProcess<RunningPooler> {
        /** The pooler's role exists on the compute (it is made once, on a serving server). */
        private volatile boolean roleReady;

        ManagedPooler(ComputeSpec spec, CrashHistory crashes) {
            super(spec, crashes);
        }

        boolean roleReady() {
            return roleReady;
        }

        void roleMade() {
            roleReady = true;
        }

        Optional<RunningPooler> awaitRunning(Duration max) throws InterruptedException {
            return awaitRunning(max, true);
        }
    }
}
