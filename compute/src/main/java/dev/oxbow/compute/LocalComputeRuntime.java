package dev.oxbow.compute;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Computes as local child processes: Oxbow starts {@code postgres} itself (no pg_ctl) and stays its
 * direct parent, so it sees a crash at once and restarts the server. Servers listen only on a private
 * unix socket; their output goes to {@link ComputeSpec#logFile()}.
 */
public final class LocalComputeRuntime implements ComputeRuntime {
    private static final Logger log = LoggerFactory.getLogger(LocalComputeRuntime.class);
    /** Until postmaster.pid names the new server: configuration errors and the like fail well within this. */
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
    public static final int WAL_SEGMENT_MB = 4;
    /** Once it runs, a server in crash recovery (or a clone's first start) may replay a lot of WAL. */
    private static final Duration RECOVERY_TIMEOUT = Duration.ofMinutes(15);
    private static final Duration FAST_SHUTDOWN_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration ORPHAN_SHUTDOWN_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration IMMEDIATE_SHUTDOWN_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration LEFTOVER_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration INITDB_TIMEOUT = Duration.ofMinutes(5);
    private static final long READY_POLL_MS = 5;
    /** With the directory watched, a missed change still costs no more than this. */
    private static final long READY_RECHECK_MS = 20;

    private final PostgresBinaries binaries;
    private final ProcessIdentities identities;
    private final Cgroups cgroups;
    private final RestartPolicy restartPolicy;
    private final ProcessLauncher launcher = new ProcessLauncher();
    /** Null: every cluster is initdb'd. */
    private final ClusterTemplates templates;
    /** Runs crash handling and parallel stops; never forks postgres itself (the launcher does). */
    private final ExecutorService supervisor =
            Executors.newCachedThreadPool(Thread.ofPlatform().name("oxbow-pg-supervisor-", 0).daemon().factory());
    private final Map<String, ManagedServer> servers = new ConcurrentHashMap<>();
    /** Which endpoint serves each data directory (real path): one server per directory, and never an "orphan". */
    private final Map<Path, String> dataDirOwners = new ConcurrentHashMap<>();
    private final Map<String, Object> endpointLocks = new ConcurrentHashMap<>();
    /** The limits each endpoint was last sized to; a start runs unthrottled and applies them when ready. */
    private final Map<String, Cgroups.Limits> limits = new ConcurrentHashMap<>();
    /** Null when no PgBouncer is configured: then no endpoint has a pooled host. */
    private final Poolers poolers;
    /** Oxbow's superuser on every compute when poolers run (kept from the pooler's logins by pg_hba.conf), else null. */
    private final String poolerAdminRole;
    private volatile ComputeListener listener = new ComputeListener() {};
    private volatile boolean closed;

    /** Every compute runs as {@code identity}, whatever its tenant. */
    public LocalComputeRuntime(PostgresBinaries binaries, ProcessIdentity identity) throws ComputeException {
        this(binaries, identity, RestartPolicy.DEFAULT);
    }

    public LocalComputeRuntime(PostgresBinaries binaries, ProcessIdentity identity, RestartPolicy restartPolicy) throws ComputeException {
        this(binaries, ProcessIdentities.shared(identity), restartPolicy, Cgroups.none());
    }

    /**
     * Each compute runs as its tenant's identity. With {@code cgroups} available, every server runs in its
     * endpoint's groups and {@link #resize} changes them live.
     */
    public LocalComputeRuntime(PostgresBinaries binaries, ProcessIdentities identities, RestartPolicy restartPolicy, Cgroups cgroups) {
        this(binaries, identities, restartPolicy, cgroups, null, Optional.empty(), null);
    }

    /**
     * As above; with {@code clusterTemplates} (a directory only Oxbow reads), {@link #initdb} runs initdb once per
     * PostgreSQL version and superuser and copies its result for every later cluster ({@link ClusterTemplates}).
     */
    public LocalComputeRuntime(PostgresBinaries binaries, ProcessIdentities identities, RestartPolicy restartPolicy, Cgroups cgroups,
                               Path clusterTemplates) {
        this(binaries, identities, restartPolicy, cgroups, clusterTemplates, Optional.empty(), null);
    }

    /** As the first, with a PgBouncer per compute (see below). */
    public LocalComputeRuntime(PostgresBinaries binaries, ProcessIdentities identities, RestartPolicy restartPolicy, Cgroups cgroups,
                               Optional<PoolerBinary> pooler, String poolerAuthUser) {
        this(binaries, identities, restartPolicy, cgroups, null, pooler, poolerAuthUser);
    }

    /**
     * With cluster templates as above, and with {@code pooler} every compute also gets a PgBouncer ({@link Poolers}).
     * {@code poolerAuthUser} is the superuser Oxbow logs in as (every cluster's bootstrap superuser): it creates the
     * pooler's own role ({@link RunningPooler#ROLE}), and the pooler may never log in as it.
     */
    public LocalComputeRuntime(PostgresBinaries binaries, ProcessIdentities identities, RestartPolicy restartPolicy, Cgroups cgroups,
                               Path clusterTemplates, Optional<PoolerBinary> pooler, String poolerAuthUser) {
        this.poolers = pooler.map(b -> new Poolers(b, poolerAuthUser, identities, restartPolicy, launcher, supervisor, this::serverStoppingOrGone)).orElse(null);
        this.poolerAdminRole = poolers == null ? null : poolerAuthUser;
        this.binaries = binaries;
        this.identities = identities;
        this.restartPolicy = restartPolicy;
        this.cgroups = cgroups;
        this.templates = clusterTemplates == null ? null : new ClusterTemplates(clusterTemplates);
    }

    @Override
    public void resize(String endpointUid, long memoryBytes, double cpus) throws ComputeException {
        limits.put(endpointUid, new Cgroups.Limits(memoryBytes, cpus));
        try {
            cgroups.limit(endpointUid, memoryBytes, cpus);
        } catch (IOException e) {
            throw new ComputeException("cannot resize endpoint " + endpointUid + ": " + e.getMessage(), e);
        }
    }

    @Override
    public Optional<Cgroups.Usage> usage(String endpointUid) {
        return cgroups.usage(endpointUid);
    }

    @Override
    public Optional<Cgroups.Limits> limits(String endpointUid) {
        return cgroups.limits(endpointUid);
    }

    @Override
    public String resourceControl() {
        return cgroups.available() ? "cgroup-" + cgroups.mode().name().toLowerCase(java.util.Locale.ROOT) : "advisory";
    }

    /** Rewrites the server's configuration and signals it to reload (SIGHUP): no restart, connections stay. */
    @Override
    public void reload(ComputeSpec spec) throws ComputeException {
        Optional<RunningCompute> running = find(spec.endpointUid());
        if (running.isEmpty()) {
            return;
        }
        try {
            ServerConfig.write(spec, identities.forTenant(spec.tenant()), identities.oxbowUser(), poolerAdminRole);
        } catch (IOException e) {
            throw new ComputeException("cannot rewrite settings of endpoint " + spec.endpointUid() + ": " + e.getMessage(), e);
        }
        OsProcesses.signal(running.get().pid(), "HUP");
        if (poolers != null) {
            poolers.reload(spec);
        }
    }

    @Override
    public void setListener(ComputeListener listener) {
        this.listener = listener == null ? new ComputeListener() {} : listener;
    }

    @Override
    public void initdb(String tenant, int pgVersion, Path dataDir, String superuser) throws ComputeException {
        checkOpen();
        if (superuser == null || superuser.isBlank()) {
            throw new ComputeException("initdb needs a superuser name");
        }
        Path bin = binaries.binDir(pgVersion);
        Path dir = dataDir.toAbsolutePath().normalize();
        long start = System.nanoTime();
        try {
            if (Files.exists(dir)) {
                try (var entries = Files.list(dir)) {
                    if (entries.findAny().isPresent()) {
                        throw new ComputeException("cannot create a cluster in " + dir + ": the directory is not empty");
                    }
                }
            }
            ProcessIdentity identity = identities.forTenant(tenant);
            if (templates != null && templates.copyInto(pgVersion, superuser, dir, identity)) {
                log.info("cluster created from template data_dir={} pg={} superuser={} in_ms={}", dir, pgVersion, superuser, millisSince(start));
                return;
            }
            identity.privateDir(dir);
            // 4 MB WAL segments, not 16: every branch point and snapshot ends a segment (pg_backup_stop switches),
            // and the unused rest of it is kept as zeros in the WAL archive, so smaller segments keep branches cheap
            List<String> command = List.of(bin.resolve("initdb").toString(), "-D", dir.toString(), "-U", superuser,
                    "--auth=trust", "--encoding=UTF8", "--locale=C", "--data-checksums", "--no-sync", "--no-instructions",
                    "--wal-segsize=" + WAL_SEGMENT_MB);
            ProcessBuilder pb = new ProcessBuilder(identity.wrap(command)).directory(dir.getParent().toFile()).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            cleanEnvironment(pb);
            // A cluster's default timezone should not depend on the host it was created on.
            pb.environment().put("TZ", "UTC");
            pb.environment().put("LC_ALL", "C");
            Process p = launcher.start(pb);
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!p.waitFor(INITDB_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new ComputeException("initdb did not finish within " + INITDB_TIMEOUT.toMinutes() + " min for " + dir + ":\n" + output);
            }
            if (p.exitValue() != 0) {
                throw new ComputeException("initdb failed (exit code " + p.exitValue() + ") for " + dir + ":\n" + output);
            }
            log.info("cluster created data_dir={} pg={} superuser={} in_ms={}", dir, pgVersion, superuser, millisSince(start));
            if (templates != null) {
                templates.keep(pgVersion, superuser, dir);
            }
        } catch (IOException e) {
            throw new ComputeException("cannot create a cluster in " + dir + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ComputeException("interrupted while creating a cluster in " + dir, e);
        }
    }

    @Override
    public Optional<Path> copyTemplate(String tenant, int pgVersion, String superuser, String name, Path dataDir) throws ComputeException {
        checkOpen();
        if (templates == null) {
            return Optional.empty();
        }
        Path dir = dataDir.toAbsolutePath().normalize();
        long start = System.nanoTime();
        try {
            if (!templates.copyInto(pgVersion, superuser, name, dir, identities.forTenant(tenant))) {
                return Optional.empty();
            }
        } catch (IOException e) {
            throw new ComputeException("cannot create a cluster in " + dir + " from template " + name + ": " + e, e);
        }
        log.info("cluster created from template data_dir={} pg={} superuser={} template={} in_ms={}", dir, pgVersion, superuser, name,
                millisSince(start));
        return Optional.of(templates.templateOf(pgVersion, superuser, name));
    }

    @Override
    public void keepTemplate(int pgVersion, String superuser, String name, Path dataDir) {
        if (templates != null) {
            templates.keep(pgVersion, superuser, name, dataDir.toAbsolutePath().normalize());
        }
    }

    /**
     * Starts the endpoint's server, first stopping a postgres an earlier Oxbow left on the data directory.
     * Idempotent: an endpoint already running is returned as it is (stop it first to apply a changed spec),
     * and one being restarted after a crash is waited for.
     */
    @Override
    public RunningCompute start(ComputeSpec spec) throws ComputeException {
        checkOpen();
        String uid = spec.endpointUid();
        synchronized (lockFor(uid)) {
            ManagedServer existing = servers.get(uid);
            if (existing != null) {
                Optional<RunningCompute> running = awaitRunning(existing);
                if (running.isPresent()) {
                    return running.get();
                }
                if (servers.get(uid) == existing) {
                    throw new ComputeException("endpoint " + uid + " is still restarting after a crash; try again");
                }
            }
            Path bin = binaries.binDir(spec.pgVersion());
            Path dataDir = checkDataDir(spec);
            String owner = dataDirOwners.putIfAbsent(dataDir, uid);
            if (owner != null && !owner.equals(uid)) {
                throw new ComputeException("cannot start endpoint " + uid + ": endpoint " + owner + " already serves " + dataDir);
            }
            boolean started = false;
            PhaseTimer phases = PhaseTimer.start();
            try {
                stopLeftovers(dataDir);
                phases.end("leftovers");
                prepare(spec, dataDir);
                phases.end("config");
                ManagedServer server = new ManagedServer(spec, dataDir, restartPolicy);
                RunningCompute running;
                Process p;
                try (PostmasterWatch changes = PostmasterWatch.on(dataDir)) {
                    unthrottle(uid);
                    phases.end("cgroup");
                    p = launch(spec, bin, dataDir);
                    server.adopt(p);
                    phases.end("launch");
                    running = awaitReady(spec, dataDir, p, changes, phases);
                }
                server.ready(running);
                servers.put(uid, server);
                watch(server, p);
                started = true;
                // the quota goes on off the wake path: writing the cgroup files took 15-25 ms of a 100 ms wake here
                supervisor.execute(() -> quotaOnceServing(uid, server));
                log.info("compute started endpoint={} pid={} pg={} socket_dir={} {}", uid, p.pid(), spec.pgVersion(),
                        spec.socketDir(), phases);
                startPooler(spec);
                if (closed) {
                    stop(uid);
                    throw new ComputeException("runtime closed while starting endpoint " + uid);
                }
                return running;
            } finally {
                if (!started) {
                    dataDirOwners.remove(dataDir, uid);
                }
            }
        }
    }

    @Override
    public void stop(String endpointUid) throws ComputeException {
        synchronized (lockFor(endpointUid)) {
            // before the server (its clients are dropped now), and also when only the pooler of a suspended compute runs
            stopPooler(endpointUid);
            stopServer(endpointUid);
        }
    }

    /**
     * Stops the server but leaves its pooler running with its clients: idle pooled clients survive the suspend, and
     * the next {@link #start} finds the pooler and has it reconnect server-side (see DESIGN.md "Pooled hosts").
     */
    @Override
    public void suspend(String endpointUid) throws ComputeException {
        synchronized (lockFor(endpointUid)) {
            stopServer(endpointUid);
        }
    }

    private void stopServer(String endpointUid) throws ComputeException {
        synchronized (lockFor(endpointUid)) {
            ManagedServer server = servers.get(endpointUid);
            if (server == null) {
                return;
            }
            long start = System.nanoTime();
            // After beginStop no restart can adopt a new process; one launched meanwhile is shut down by its restart.
            Process p = server.beginStop();
            try {
                if (p != null && p.isAlive()) {
                    shutdown(p.pid(), () -> !p.isAlive(), FAST_SHUTDOWN_TIMEOUT);
                }
                server.awaitNoRestart(RECOVERY_TIMEOUT);
                awaitLeftoversGone(server.dataDir);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ComputeException("interrupted while stopping endpoint " + endpointUid, e);
            } finally {
                servers.remove(endpointUid, server);
                dataDirOwners.remove(server.dataDir, endpointUid);
                // the groups are empty now; the next start creates them again with its own limits
                cgroups.remove(endpointUid);
                limits.remove(endpointUid);
            }
            log.info("compute stopped endpoint={} pid={} in_ms={}", endpointUid, p == null ? -1 : p.pid(), millisSince(start));
        }
    }

    @Override
    public Optional<RunningCompute> find(String endpointUid) {
        ManagedServer server = servers.get(endpointUid);
        return server == null ? Optional.empty() : server.current();
    }

    /** Not for a directory one of this runtime's servers uses: that server is no orphan and is left alone. */
    @Override
    public void stopOrphan(Path dataDir) throws ComputeException {
        Path dir;
        try {
            dir = dataDir.toRealPath();
        } catch (IOException missing) {
            return;
        }
        String owner = dataDirOwners.get(dir);
        if (owner != null) {
            log.debug("not an orphan: served by this runtime data_dir={} endpoint={}", dir, owner);
            return;
        }
        stopLeftovers(dir);
    }

    /** Stops every server in parallel (fast shutdown each), then the launcher thread. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        List<CompletableFuture<Void>> stops = new ArrayList<>();
        for (String uid : List.copyOf(servers.keySet())) {
            stops.add(CompletableFuture.runAsync(() -> {
                try {
                    stop(uid);
                } catch (ComputeException | RuntimeException e) {
                    log.error("cannot stop compute endpoint={} cause={}", uid, e.getMessage());
                }
            }, supervisor));
        }
        stops.forEach(CompletableFuture::join);
        if (poolers != null) {
            // the poolers of suspended computes (they have no server left to stop)
            poolers.stopAll();
        }
        supervisor.shutdownNow();
        launcher.close();
        if (templates != null) {
            templates.close(); // a spare cluster being copied stops
        }
        log.info("compute runtime closed servers_stopped={}", stops.size());
    }

    @Override
    public Optional<RunningPooler> pooler(String endpointUid) {
        return poolers == null ? Optional.empty() : poolers.find(endpointUid);
    }

    @Override
    public Optional<RunningPooler> awaitPooler(String endpointUid, Duration max) throws InterruptedException {
        return poolers == null ? Optional.empty() : poolers.await(endpointUid, max);
    }

    @Override
    public Optional<String> poolerUnavailable() {
        return poolers == null ? Optional.of("no PgBouncer is installed on this server (scripts/setup builds one; or set "
                + PoolerBinary.ENV + ")") : Optional.empty();
    }

    /** A stop or suspend of the endpoint's server began (marked before the server is signalled), or none runs. */
    private boolean serverStoppingOrGone(String endpointUid) {
        ManagedServer server = servers.get(endpointUid);
        return server == null || server.stopping();
    }

    /** A pooler that cannot start leaves the compute serving its direct host; it starts off the wake path. */
    private void startPooler(ComputeSpec spec) {
        if (poolers == null) {
            return;
        }
        try {
            poolers.startInBackground(spec);
        } catch (ComputeException | RuntimeException e) {
            log.warn("pooler not started endpoint={} cause={}", spec.endpointUid(), e.getMessage());
        }
    }

    private void stopPooler(String endpointUid) {
        if (poolers == null) {
            return;
        }
        try {
            poolers.stop(endpointUid);
        } catch (ComputeException | RuntimeException e) {
            log.warn("cannot stop pooler endpoint={} cause={}", endpointUid, e.getMessage());
        }
    }

    // ---- starting

    private Path checkDataDir(ComputeSpec spec) throws ComputeException {
        Path dir;
        try {
            dir = spec.dataDir().toRealPath();
        } catch (IOException e) {
            throw new ComputeException("cannot start endpoint " + spec.endpointUid() + ": data directory " + spec.dataDir() + " does not exist");
        }
        String version;
        try {
            version = Files.readString(dir.resolve("PG_VERSION")).strip();
        } catch (IOException e) {
            throw new ComputeException("cannot start endpoint " + spec.endpointUid() + ": " + dir + " is not a PostgreSQL data directory (no PG_VERSION)");
        }
        if (!version.equals(Integer.toString(spec.pgVersion()))) {
            throw new ComputeException("cannot start endpoint " + spec.endpointUid() + ": " + dir + " holds a PostgreSQL " + version
                    + " cluster, but the endpoint runs PostgreSQL " + spec.pgVersion());
        }
        return dir;
    }

    /** Socket directory, configuration and log file; the caller holds the data directory claim. */
    private void prepare(ComputeSpec spec, Path dataDir) throws ComputeException {
        ServerConfig.checkSocketDir(spec.socketDir());
        for (String key : ServerConfig.fixedSettings(spec.socketDir()).keySet()) {
            if (spec.settings().containsKey(key)) {
                log.warn("setting ignored: oxbow manages it endpoint={} setting={}", spec.endpointUid(), key);
            }
        }
        try {
            ProcessIdentity identity = identities.forTenant(spec.tenant());
            Path socketDir = spec.socketDir().toAbsolutePath().normalize();
            if (!Files.isDirectory(socketDir.getParent())) {
                identities.sharedDir(socketDir.getParent()); // every compute's socket directory sits in it
            }
            identity.privateDir(socketDir);
            checkOwner(dataDir, identity);
            ServerConfig.write(spec, identity, identities.oxbowUser(), poolerAdminRole);
            ServerLog.prepare(spec.logFile(), "starting endpoint=" + spec.endpointUid() + " pg=" + spec.pgVersion());
        } catch (IOException e) {
            throw new ComputeException("cannot prepare endpoint " + spec.endpointUid() + " on " + dataDir + ": " + e, e);
        } catch (IllegalArgumentException e) {
            throw new ComputeException("cannot start endpoint " + spec.endpointUid() + ": " + e.getMessage(), e);
        }
    }

    /** Postgres refuses a data directory of another user; say which user it should be. */
    private static void checkOwner(Path dataDir, ProcessIdentity identity) throws IOException, ComputeException {
        int owner = (Integer) Files.getAttribute(dataDir, "unix:uid", java.nio.file.LinkOption.NOFOLLOW_LINKS);
        if (identity.root() && owner != identity.uid()) {
            throw new ComputeException("data directory " + dataDir + " belongs to uid " + owner + ", but this compute runs as "
                    + identity.user() + " (uid " + identity.uid() + "); a data directory from an older Oxbow can be handed over with "
                    + "chown -R " + identity.user() + ": " + dataDir);
        }
    }

    private Process launch(ComputeSpec spec, Path bin, Path dataDir) throws ComputeException {
        List<String> command = new ArrayList<>(List.of(bin.resolve("postgres").toString(), "-D", dataDir.toString()));
        command.addAll(ServerConfig.commandLine(spec.socketDir()));
        List<String> wrapped = identities.forTenant(spec.tenant()).wrap(command);
        if (cgroups.available()) {
            // the shell joins the endpoint's cgroups, then execs: postgres and every backend it forks are born inside
            List<String> joined = new ArrayList<>(List.of("sh", "-c", "for f in $OXBOW_CGROUP_PROCS; do echo $$ > \"$f\"; done; exec \"$@\"", "sh"));
            joined.addAll(wrapped);
            wrapped = joined;
        }
        ProcessBuilder pb = new ProcessBuilder(wrapped)
                .directory(dataDir.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(spec.logFile().toFile()));
        cleanEnvironment(pb);
        if (cgroups.available()) {
            try {
                pb.environment().put("OXBOW_CGROUP_PROCS", String.join(" ", cgroups.procsFiles(spec.endpointUid()).stream().map(Path::toString).toList()));
            } catch (IOException e) {
                throw new ComputeException("cannot create cgroups for endpoint " + spec.endpointUid() + ": " + e.getMessage(), e);
            }
        }
        try {
            return launcher.start(pb);
        } catch (IOException e) {
            throw new ComputeException("cannot launch postgres for endpoint " + spec.endpointUid() + ": " + e, e);
        }
    }

    /**
     * Waits until the server accepts connections, as pg_ctl does: postmaster.pid names this process and
     * says "ready" (written only once startup, including any crash recovery, is done), and the socket exists.
     * The short timeout covers getting that far; recovery then gets the long one.
     */
    private RunningCompute awaitReady(ComputeSpec spec, Path dataDir, Process p, PostmasterWatch changes, PhaseTimer phases)
            throws ComputeException {
        long started = System.nanoTime();
        long deadline = started + READY_TIMEOUT.toNanos();
        boolean recovering = false;
        Path socket = spec.socketFile();
        while (true) {
            if (!p.isAlive()) {
                throw new ComputeException("postgres for endpoint " + spec.endpointUid() + " exited during start (exit code "
                        + p.exitValue() + "); log " + spec.logFile() + ":\n" + ServerLog.tail(spec.logFile()));
            }
            Optional<PostmasterPid> pm = PostmasterPid.read(dataDir);
            if (pm.isPresent() && pm.get().pid() == p.pid()) {
                if (!recovering) {
                    // the postmaster runs and has locked the directory; what follows is shared memory, recovery, sockets
                    phases.end("start_postgres");
                    recovering = true;
                    deadline = started + RECOVERY_TIMEOUT.toNanos();
                }
                if (pm.get().ready() && Files.exists(socket)) {
                    phases.end("ready");
                    return new RunningCompute(spec.endpointUid(), p.pid(), spec.dataDir(), spec.socketDir(), spec.pgVersion());
                }
            }
            if (System.nanoTime() > deadline) {
                shutdown(p.pid(), () -> !p.isAlive(), Duration.ZERO);
                throw new ComputeException("postgres for endpoint " + spec.endpointUid() + " did not accept connections within "
                        + (System.nanoTime() - started) / 1_000_000_000 + " s; log " + spec.logFile() + ":\n" + ServerLog.tail(spec.logFile()));
            }
            awaitChange(changes);
        }
    }

    /** Until the data directory changes (inotify), re-checking at least every {@value #READY_RECHECK_MS} ms. */
    private static void awaitChange(PostmasterWatch changes) {
        try {
            if (changes != null) {
                changes.awaitChange(READY_RECHECK_MS);
            } else {
                Thread.sleep(READY_POLL_MS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---- CPU during start

    /**
     * A start runs without the CPU quota (memory stays limited): at 0.5 CU the quota is an eighth of a core,
     * which made a 60 ms start take 300-600 ms, and a wake is time a client waits. {@link #throttle}
     * applies the endpoint's quota once the server accepts connections.
     */
    private void unthrottle(String endpointUid) throws ComputeException {
        Cgroups.Limits wanted = limits.get(endpointUid);
        if (wanted == null || !cgroups.available()) {
            return;
        }
        try {
            cgroups.limit(endpointUid, wanted.memoryBytes(), Cgroups.UNLIMITED_CPUS);
        } catch (IOException e) {
            throw new ComputeException("cannot set up cgroups for endpoint " + endpointUid + ": " + e.getMessage(), e);
        }
    }

    /** Applies the endpoint's CPU quota, unless the server that started has been stopped (or replaced) meanwhile. */
    private void quotaOnceServing(String endpointUid, ManagedServer server) {
        synchronized (lockFor(endpointUid)) {
            if (servers.get(endpointUid) != server) {
                return;
            }
            try {
                throttle(endpointUid);
            } catch (ComputeException | RuntimeException e) {
                log.warn("cpu quota not applied endpoint={} cause={}", endpointUid, e.getMessage());
            }
        }
    }

    private void throttle(String endpointUid) throws ComputeException {
        Cgroups.Limits wanted = limits.get(endpointUid);
        if (wanted != null) {
            resize(endpointUid, wanted.memoryBytes(), wanted.cpus());
        }
    }

    // ---- supervision

    private void watch(ManagedServer server, Process p) {
        p.onExit().thenAcceptAsync(exited -> onExit(server, exited), supervisor);
    }

    /** An unexpected exit: restart at once, until the crash budget of the restart policy is spent. */
    private void onExit(ManagedServer server, Process exited) {
        if (closed || !server.crashed(exited)) {
            return;
        }
        String uid = server.endpointUid();
        int exitCode = exited.exitValue();
        String cause = "exit code " + exitCode;
        server.restartBegins();
        try {
            while (true) {
                int crashes = server.crashes.record(System.nanoTime());
                if (crashes > restartPolicy.maxCrashes()) {
                    giveUp(server, crashes, cause);
                    return;
                }
                log.warn("compute crashed, restarting endpoint={} pid={} cause={} crashes_in_window={}", uid, exited.pid(), cause, crashes);
                try {
                    awaitLeftoversGone(server.dataDir);
                    try {
                        ServerLog.prepare(server.spec.logFile(), "restarting endpoint=" + uid + " after crash: " + firstLine(cause));
                    } catch (IOException e) {
                        log.warn("cannot write to server log endpoint={} log={} cause={}", uid, server.spec.logFile(), e.toString());
                    }
                    PhaseTimer phases = PhaseTimer.start();
                    RunningCompute running;
                    Process p;
                    try (PostmasterWatch changes = PostmasterWatch.on(server.dataDir)) {
                        unthrottle(uid);
                        phases.end("cgroup");
                        p = launch(server.spec, binaries.binDir(server.spec.pgVersion()), server.dataDir);
                        if (!server.adopt(p)) {
                            shutdown(p.pid(), () -> !p.isAlive(), Duration.ZERO);
                            return;
                        }
                        phases.end("launch");
                        running = awaitReady(server.spec, server.dataDir, p, changes, phases);
                    }
                    throttle(uid);
                    phases.end("throttle");
                    server.ready(running);
                    watch(server, p);
                    log.info("compute restarted endpoint={} pid={} attempt={} {}", uid, p.pid(), crashes, phases);
                    notifyListener(() -> listener.restarted(uid, exitCode, crashes));
                    return;
                } catch (ComputeException e) {
                    if (closed || server.stopping()) {
                        return;
                    }
                    cause = e.getMessage();
                }
            }
        } finally {
            server.restartEnds();
        }
    }

    private void giveUp(ManagedServer server, int crashes, String cause) {
        String uid = server.endpointUid();
        stopPooler(uid);
        servers.remove(uid, server);
        dataDirOwners.remove(server.dataDir, uid);
        server.giveUp();
        String reason = "postgres crashed " + crashes + " times within " + restartPolicy.window().toSeconds()
                + " s; last: " + firstLine(cause) + "; see " + server.spec.logFile();
        log.error("compute degraded, not restarting endpoint={} reason={} log_tail=\n{}", uid, reason, ServerLog.tail(server.spec.logFile()));
        notifyListener(() -> listener.degraded(uid, reason));
    }

    private Optional<RunningCompute> awaitRunning(ManagedServer server) throws ComputeException {
        try {
            return server.awaitRunning(RECOVERY_TIMEOUT);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ComputeException("interrupted while waiting for endpoint " + server.endpointUid(), e);
        }
    }

    // ---- stopping

    /**
     * Stops a postmaster: SIGINT (fast shutdown: disconnects clients, checkpoints) for {@code graceful},
     * then SIGQUIT (immediate shutdown), then SIGKILL. SIGTERM (what Process.destroy sends) is a smart
     * shutdown that waits for every client to leave, so it is never used.
     */
    private static void shutdown(long pid, BooleanSupplier exited, Duration graceful) throws ComputeException {
        if (!graceful.isZero()) {
            OsProcesses.signal(pid, "INT");
            if (OsProcesses.await(exited, graceful)) {
                return;
            }
            log.warn("postgres ignored fast shutdown, sending SIGQUIT pid={} waited_s={}", pid, graceful.toSeconds());
        }
        OsProcesses.signal(pid, "QUIT");
        if (OsProcesses.await(exited, IMMEDIATE_SHUTDOWN_TIMEOUT)) {
            return;
        }
        log.warn("postgres ignored immediate shutdown, sending SIGKILL pid={}", pid);
        OsProcesses.signal(pid, "KILL");
        if (!OsProcesses.await(exited, IMMEDIATE_SHUTDOWN_TIMEOUT)) {
            throw new ComputeException("postgres pid " + pid + " does not exit even after SIGKILL");
        }
    }

    /** Stops a postmaster named by postmaster.pid that no runtime supervises, and waits for its backends. */
    private void stopLeftovers(Path dataDir) throws ComputeException {
        if (!Files.exists(dataDir.resolve(PostmasterPid.FILE))) {
            // a postmaster removes its lock file only after its last backend exited; a killed one leaves it behind,
            // so without the file nothing can be left over and the scan of /proc is spared (it is on the wake path)
            return;
        }
        Optional<PostmasterPid> pm = PostmasterPid.read(dataDir);
        if (pm.isPresent() && isPostmasterOf(pm.get().pid(), dataDir)) {
            long pid = pm.get().pid();
            long start = System.nanoTime();
            log.warn("stopping orphaned postgres left by an earlier oxbow process data_dir={} pid={}", dataDir, pid);
            shutdown(pid, () -> !OsProcesses.isRunning(pid), ORPHAN_SHUTDOWN_TIMEOUT);
            log.info("orphaned postgres stopped data_dir={} pid={} in_ms={}", dataDir, pid, millisSince(start));
        }
        awaitLeftoversGone(dataDir);
    }

    /** A live postgres whose working directory is {@code dataDir} (an unreadable one is given the benefit of the doubt). */
    private static boolean isPostmasterOf(long pid, Path dataDir) {
        if (!OsProcesses.isRunning(pid) || !OsProcesses.isPostgres(pid)) {
            return false;
        }
        Path cwd = OsProcesses.workingDirectory(pid);
        return cwd == null || cwd.equals(dataDir);
    }

    /**
     * Backends of a postmaster that died exit on their own within milliseconds, but while they live they
     * keep the old shared memory attached and a new postmaster refuses to start. Waits, then kills them.
     */
    private static void awaitLeftoversGone(Path dataDir) {
        BooleanSupplier gone = () -> postgresProcessesIn(dataDir).isEmpty();
        if (gone.getAsBoolean() || OsProcesses.await(gone, LEFTOVER_TIMEOUT)) {
            return;
        }
        List<Long> stuck = postgresProcessesIn(dataDir);
        log.warn("killing leftover postgres processes data_dir={} pids={}", dataDir, stuck);
        stuck.forEach(pid -> OsProcesses.signal(pid, "KILL"));
        OsProcesses.await(gone, IMMEDIATE_SHUTDOWN_TIMEOUT);
    }

    private static List<Long> postgresProcessesIn(Path dataDir) {
        return OsProcesses.withWorkingDirectory(dataDir).stream()
                .filter(OsProcesses::isPostgres).toList();
    }

    // ---- helpers

    private Object lockFor(String endpointUid) {
        return endpointLocks.computeIfAbsent(endpointUid, k -> new Object());
    }

    private void checkOpen() throws ComputeException {
        if (closed) {
            throw new ComputeException("the compute runtime is closed");
        }
    }

    /** Server processes must not pick up a developer's PGPORT, PGDATA, etc. */
    private static void cleanEnvironment(ProcessBuilder pb) {
        pb.environment().keySet().removeIf(k -> k.startsWith("PG"));
    }

    private static void notifyListener(Runnable call) {
        try {
            call.run();
        } catch (RuntimeException e) {
            log.error("compute listener failed cause={}", e.toString(), e);
        }
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    private static long millisSince(long nanoTime) {
        return (System.nanoTime() - nanoTime) / 1_000_000;
    }

}
