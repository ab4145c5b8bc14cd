package dev.oxbow.compute;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Computes as local child processes: Oxbow is the direct parent of every {@code postgres} (no pg_ctl),
 * so it sees a crash at once and restarts the server. Servers listen only on a private unix socket.
 */
public final class LocalComputeRuntime implements ComputeRuntime {
    private static final Logger log = LoggerFactory.getLogger(LocalComputeRuntime.class);
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(120);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);
    private static final int MAX_SOCKET_PATH = 107;

    private final PostgresBinaries binaries;
    private final ProcessIdentity identity;
    private final int maxRestarts;
    private final Duration restartWindow;
    private final Map<String, Supervised> running = new ConcurrentHashMap<>();
    /** PR_SET_PDEATHSIG fires when the forking thread dies, so one long-lived thread launches every server. */
    private final ExecutorService launcher = Executors.newSingleThreadExecutor(Thread.ofPlatform().name("oxbow-launcher").daemon().factory());
    private final ExecutorService restarter = Executors.newCachedThreadPool(Thread.ofPlatform().name("oxbow-restart-", 0).daemon().factory());
    private volatile ComputeListener listener = new ComputeListener() {};

    public LocalComputeRuntime(PostgresBinaries binaries, ProcessIdentity identity) {
        this(binaries, identity, 3, Duration.ofSeconds(60));
    }

    /** A server that crashes more than {@code maxRestarts} times within {@code restartWindow} is given up as degraded. */
    public LocalComputeRuntime(PostgresBinaries binaries, ProcessIdentity identity, int maxRestarts, Duration restartWindow) {
        this.binaries = binaries;
        this.identity = identity;
        this.maxRestarts = maxRestarts;
        this.restartWindow = restartWindow;
    }

    private static final class Supervised {
        final ComputeSpec spec;
        final Deque<Long> crashes = new ArrayDeque<>();
        volatile Process process;
        volatile boolean stopping;

        Supervised(ComputeSpec spec) {
            this.spec = spec;
        }
    }

    @Override
    public void setListener(ComputeListener listener) {
        this.listener = listener;
    }

    @Override
    public void initdb(int pgVersion, Path dataDir, String superuser) throws ComputeException {
        Path bin = binaries.binDir(pgVersion);
        try {
            identity.privateDir(dataDir);
            try (var entries = Files.list(dataDir)) {
                if (entries.findAny().isPresent()) {
                    throw new ComputeException("cannot create a cluster in " + dataDir + ": the directory is not empty");
                }
            }
            long start = System.nanoTime();
            List<String> cmd = identity.wrap(List.of(bin.resolve("initdb").toString(), "-D", dataDir.toString(), "-U", superuser,
                    "--auth=trust", "--encoding=UTF8", "--no-locale", "--no-instructions"));
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
            pb.environment().put("LC_ALL", "C");
            Process p = launch(pb);
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() != 0) {
                throw new ComputeException("initdb failed for " + dataDir + ":\n" + out.strip());
            }
            Files.writeString(dataDir.resolve("postgresql.conf"), "\ninclude_if_exists = 'oxbow.conf'\n",
                    java.nio.file.StandardOpenOption.APPEND);
            log.info("cluster initialised data_dir={} pg={} ms={}", dataDir, pgVersion, (System.nanoTime() - start) / 1_000_000);
        } catch (IOException e) {
            throw new ComputeException("cannot create a cluster in " + dataDir + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ComputeException("interrupted while creating a cluster in " + dataDir, e);
        }
    }

    @Override
    public RunningCompute start(ComputeSpec spec) throws ComputeException {
        Supervised existing = running.get(spec.endpointUid());
        if (existing != null && existing.process.isAlive()) {
            return describe(existing);
        }
        if (spec.socketDir().resolve(PgConnections.SOCKET_FILE).toString().length() > MAX_SOCKET_PATH) {
            throw new ComputeException("socket path " + spec.socketDir().resolve(PgConnections.SOCKET_FILE)
                    + " is longer than the 107 bytes unix sockets allow; use a shorter data directory");
        }
        stopOrphan(spec.dataDir());
        Supervised s = new Supervised(spec);
        launchServer(s);
        running.put(spec.endpointUid(), s);
        return describe(s);
    }

    private RunningCompute describe(Supervised s) {
        return new RunningCompute(s.spec.endpointUid(), s.process.pid(), s.spec.dataDir(), s.spec.socketDir(), s.spec.pgVersion());
    }

    /** Writes the configuration, starts postgres and waits until it accepts connections. */
    private void launchServer(Supervised s) throws ComputeException {
        ComputeSpec spec = s.spec;
        Path bin = binaries.binDir(spec.pgVersion());
        long start = System.nanoTime();
        try {
            writeConfig(spec);
            Path log = logFile(spec);
            Files.createDirectories(log.getParent());
            ProcessBuilder pb = new ProcessBuilder(identity.wrap(List.of(bin.resolve("postgres").toString(), "-D", spec.dataDir().toString())))
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            pb.environment().put("LC_ALL", "C");
            Process p = launch(pb);
            s.process = p;
            awaitReady(s, p, log);
            p.onExit().thenAccept(exited -> onExit(s, exited));
            LocalComputeRuntime.log.info("compute started endpoint={} pid={} pg={} socket_dir={} ms={}", spec.endpointUid(), p.pid(),
                    spec.pgVersion(), spec.socketDir(), (System.nanoTime() - start) / 1_000_000);
        } catch (IOException e) {
            throw new ComputeException("cannot start compute " + spec.endpointUid() + ": " + e.getMessage(), e);
        }
    }

    private static Path logFile(ComputeSpec spec) {
        return spec.dataDir().resolveSibling("log").resolve("postgres-" + spec.endpointUid() + ".log");
    }

    private void writeConfig(ComputeSpec spec) throws IOException {
        identity.privateDir(spec.socketDir());
        StringBuilder conf = new StringBuilder("# written by Oxbow at every start; edit the endpoint's settings instead\n");
        conf.append("listen_addresses = ''\n");
        conf.append("port = 5432\n");
        conf.append("unix_socket_directories = '").append(spec.socketDir().toString().replace("'", "''")).append("'\n");
        conf.append("unix_socket_permissions = 0700\n");
        for (var e : spec.settings().entrySet()) {
            conf.append(e.getKey()).append(" = '").append(e.getValue().replace("\\", "\\\\").replace("'", "''")).append("'\n");
        }
        Path confFile = spec.dataDir().resolve("oxbow.conf");
        Files.writeString(confFile, conf.toString());
        Path postgresqlConf = spec.dataDir().resolve("postgresql.conf");
        if (!Files.readString(postgresqlConf).contains("include_if_exists = 'oxbow.conf'")) {
            Files.writeString(postgresqlConf, "\ninclude_if_exists = 'oxbow.conf'\n", java.nio.file.StandardOpenOption.APPEND);
        }
        // only Oxbow (and the proxy) can reach the private socket directory, so the socket trusts its callers
        Files.writeString(spec.dataDir().resolve("pg_hba.conf"), "local all all trust\nlocal replication all trust\n");
        identity.chown(confFile);
        identity.chown(spec.dataDir().resolve("pg_hba.conf"));
    }

    private void awaitReady(Supervised s, Process p, Path log) throws ComputeException {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        Path pidFile = s.spec.dataDir().resolve("postmaster.pid");
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new ComputeException("compute " + s.spec.endpointUid() + " exited during start (code " + p.exitValue() + "):\n" + tail(log));
            }
            try {
                List<String> lines = Files.readAllLines(pidFile);
                if (lines.size() >= 8 && lines.get(7).trim().equals("ready") && Long.parseLong(lines.get(0).trim()) == p.pid()) {
                    return;
                }
            } catch (IOException | NumberFormatException notYet) {
                // the server has not written its pid file yet
            }
            sleep(5);
        }
        p.destroyForcibly();
        throw new ComputeException("compute " + s.spec.endpointUid() + " did not accept connections within " + READY_TIMEOUT.toSeconds() + " s:\n" + tail(log));
    }

    private void onExit(Supervised s, Process exited) {
        if (s.stopping || running.get(s.spec.endpointUid()) != s || s.process != exited) {
            return;
        }
        int code = exited.exitValue();
        long now = System.nanoTime();
        synchronized (s) {
            s.crashes.addLast(now);
            while (!s.crashes.isEmpty() && now - s.crashes.peekFirst() > restartWindow.toNanos()) {
                s.crashes.removeFirst();
            }
        }
        if (s.crashes.size() > maxRestarts) {
            running.remove(s.spec.endpointUid(), s);
            String reason = "postgres crashed " + s.crashes.size() + " times within " + restartWindow.toSeconds() + " s (last exit code " + code + ")";
            log.error("compute degraded endpoint={} reason={}", s.spec.endpointUid(), reason);
            listener.degraded(s.spec.endpointUid(), reason);
            return;
        }
        int attempt = s.crashes.size();
        log.warn("compute crashed, restarting endpoint={} exit_code={} attempt={}", s.spec.endpointUid(), code, attempt);
        restarter.execute(() -> {
            try {
                if (!s.stopping) {
                    launchServer(s);
                    listener.restarted(s.spec.endpointUid(), code, attempt);
                }
            } catch (ComputeException e) {
                log.error("compute restart failed endpoint={} cause={}", s.spec.endpointUid(), e.getMessage());
                onExit(s, s.process);
            }
        });
    }

    @Override
    public void stop(String endpointUid) throws ComputeException {
        Supervised s = running.remove(endpointUid);
        if (s == null) {
            return;
        }
        s.stopping = true;
        Process p = s.process;
        if (p == null || !p.isAlive()) {
            return;
        }
        long start = System.nanoTime();
        terminate(p.pid(), () -> p.isAlive());
        log.info("compute stopped endpoint={} pid={} ms={}", endpointUid, p.pid(), (System.nanoTime() - start) / 1_000_000);
    }

    /** SIGINT (fast shutdown: disconnects clients, checkpoints), then SIGQUIT, then SIGKILL. */
    private static void terminate(long pid, java.util.function.BooleanSupplier alive) throws ComputeException {
        signal(pid, "INT");
        if (waitGone(alive, STOP_TIMEOUT)) {
            return;
        }
        log.warn("compute did not stop after SIGINT, sending SIGQUIT pid={}", pid);
        signal(pid, "QUIT");
        if (waitGone(alive, Duration.ofSeconds(10))) {
            return;
        }
        signal(pid, "KILL");
        if (!waitGone(alive, Duration.ofSeconds(10))) {
            throw new ComputeException("postgres pid " + pid + " does not exit");
        }
    }

    private static boolean waitGone(java.util.function.BooleanSupplier alive, Duration max) {
        long deadline = System.nanoTime() + max.toNanos();
        while (System.nanoTime() < deadline) {
            if (!alive.getAsBoolean()) {
                return true;
            }
            sleep(5);
        }
        return !alive.getAsBoolean();
    }

    private static void signal(long pid, String sig) {
        try {
            ProcessIdentity.run("kill", "-" + sig, Long.toString(pid));
        } catch (IOException e) {
            // already gone
        }
    }

    @Override
    public Optional<RunningCompute> find(String endpointUid) {
        Supervised s = running.get(endpointUid);
        return s == null || s.process == null || !s.process.isAlive() ? Optional.empty() : Optional.of(describe(s));
    }

    @Override
    public void stopOrphan(Path dataDir) throws ComputeException {
        Path pidFile = dataDir.resolve("postmaster.pid");
        long pid;
        try {
            if (!Files.exists(pidFile)) {
                return;
            }
            pid = Long.parseLong(Files.readAllLines(pidFile).get(0).trim());
        } catch (IOException | RuntimeException e) {
            return;
        }
        for (Supervised s : running.values()) {
            if (s.process != null && s.process.pid() == pid) {
                return;
            }
        }
        Path cmdline = Path.of("/proc", Long.toString(pid), "cmdline");
        try {
            String cmd = new String(Files.readAllBytes(cmdline), StandardCharsets.UTF_8).replace('\0', ' ');
            if (!cmd.contains("postgres") || !cmd.contains(dataDir.toString())) {
                return;
            }
        } catch (IOException gone) {
            return;
        }
        log.warn("stopping postgres left by an earlier Oxbow process pid={} data_dir={}", pid, dataDir);
        terminate(pid, () -> Files.exists(cmdline));
    }

    @Override
    public void close() {
        List<CompletableFuture<Void>> stops = new ArrayList<>();
        for (String uid : List.copyOf(running.keySet())) {
            stops.add(CompletableFuture.runAsync(() -> {
                try {
                    stop(uid);
                } catch (ComputeException e) {
                    log.error("cannot stop compute endpoint={} cause={}", uid, e.getMessage());
                }
            }));
        }
        stops.forEach(CompletableFuture::join);
        restarter.shutdownNow();
        launcher.shutdownNow();
    }

    private Process launch(ProcessBuilder pb) throws IOException {
        Future<Process> f = launcher.submit(pb::start);
        try {
            return f.get(60, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        } catch (Exception e) {
            throw new IOException("cannot launch " + pb.command().get(0) + ": " + e, e);
        }
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "(no log at " + log + ")";
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
