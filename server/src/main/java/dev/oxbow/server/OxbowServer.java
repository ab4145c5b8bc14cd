package dev.oxbow.server;

import dev.oxbow.api.ApiServer;
import dev.oxbow.compute.LocalComputeRuntime;
import dev.oxbow.compute.PostgresBinaries;
import dev.oxbow.compute.ProcessIdentities;
import dev.oxbow.controlplane.ControlPlane;
import dev.oxbow.auth.CertificateAuthority;
import dev.oxbow.auth.ServerCertificate;
import dev.oxbow.proxy.ProxyServer;
import dev.oxbow.proxy.TlsContexts;
import dev.oxbow.storage.BranchCloner;
import io.netty.handler.ssl.SslContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.oxbow.controlplane.ControlPlaneConfig;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.List;

/**
 * One Oxbow process: control plane, computes and API on one data directory. A lock file keeps a second
 * server off the same directory.
 */
public final class OxbowServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(OxbowServer.class);

    private final ServerConfig config;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final ControlPlane controlPlane;
    private final ApiServer api;
    private final ProxyServer proxy;
    private final ProxyGateway gateway;
    private final int apiPort;
    private final int pgPort;
    private final ServerCertificate certificate;
    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

    /**
     * Before any operation resumes: removes this home's OS users whose project is not in the metadata (purged while
     * a removal failed, or a crash between the two). Soft-deleted projects are still there and keep theirs.
     */
    private static void sweepOsUsers(ProcessIdentities identities, ControlPlane cp) {
        try {
            java.util.Set<String> tenants = new java.util.HashSet<>();
            cp.store().projects().all().forEach(p -> tenants.add(p.uid()));
            List<String> removed = identities.sweep(tenants);
            if (!removed.isEmpty()) {
                log.info("os users of purged projects removed count={}", removed.size());
            }
        } catch (dev.oxbow.compute.ComputeException e) {
            log.warn("cannot sweep the OS users of purged projects cause={}", e.getMessage());
        }
    }

    /**
     * {@code --restore} into an empty home, before the home's id is read: the id comes back with the home's secrets, so the
     * restored home adopts its projects' OS users where they survived (the same machine) instead of refusing them as another
     * home's. The control plane finds the metadata in place.
     */
    private static void restoreFromBucket(ControlPlaneConfig cp) throws IOException {
        if (!cp.bucket().enabled() || !cp.bucket().restore() || Files.exists(cp.layout().metadataFile())) {
            return;
        }
        try (dev.oxbow.storage.object.ObjectStore bucket = dev.oxbow.storage.object.ObjectStores.open(cp.bucket().location(), cp.bucket().env())) {
            dev.oxbow.controlplane.history.BucketHistory.restoreHome(bucket, cp.layout(), cp.bucket().env());
        }
    }

    private OxbowServer(ServerConfig config) throws Exception {
        this.config = config;
        Path home = config.home().toAbsolutePath();
        if (!Files.isDirectory(home)) {
            // private until sharedDir below opens it to the computes' group; the home id lives in it
            Files.createDirectories(home.getParent());
            Files.createDirectory(home, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                    java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
        }
        lockChannel = FileChannel.open(home.resolve("oxbow.lock"), java.util.Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE),
                java.nio.file.attribute.PosixFilePermissions.asFileAttribute(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
        Files.setPosixFilePermissions(home.resolve("oxbow.lock"), java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        lock = lockChannel.tryLock();
        if (lock == null) {
            lockChannel.close();
            throw new IllegalStateException("Another Oxbow server is using " + home + "; stop it or choose another OXBOW_HOME.");
        }
        // under the lock: two servers started on one empty home never both restore into it
        try {
            restoreFromBucket(config.controlPlane());
        } catch (IOException | RuntimeException e) {
            releaseLock(); // as a failed control-plane start does: the home is free for the next attempt
            throw e;
        }
        ProcessIdentities identities = ProcessIdentities.detect(HomeId.ensure(home));
        // the home holds secrets: Oxbow's own, and every compute only passes through it to its own directories
        identities.sharedDir(home);
        identities.grantTraversal(home);
        long start = System.nanoTime();
        PostgresBinaries binaries = new PostgresBinaries(config.pgBinaries(), identities);
        var pooler = dev.oxbow.compute.PoolerBinary.find();
        if (pooler.isEmpty()) {
            log.warn("no PgBouncer found (scripts/setup builds one): endpoints have no pooled hosts");
        } else if (!pooler.get().preparedStatements()) {
            log.warn("PgBouncer {} at {} cannot keep prepared statements in transaction mode (1.21 or later can); scripts/setup builds one",
                    pooler.get().version(), pooler.get().path());
        }
        // whether the computes' shared memory gets huge pages, which halve a wake's CPU: read once, told once
        dev.oxbow.compute.HugePages.read().ifPresent(pool -> log.info("{}", pool.describe()));
        // the pooler asks each compute whether a role exists as Oxbow's own role, which every cluster has
        LocalComputeRuntime runtime = new LocalComputeRuntime(binaries, identities, dev.oxbow.compute.RestartPolicy.DEFAULT,
                dev.oxbow.compute.Cgroups.detect(), home.resolve("cluster-templates"), pooler, dev.oxbow.controlplane.resource.Defaults.SYSTEM_ROLE);
        BranchCloner cloner = new BranchCloner();
        ControlPlane cp = null;
        ProxyServer proxyServer = null;
        ProxyGateway gateway = null;
        try {
            var prometheus = new io.micrometer.prometheusmetrics.PrometheusMeterRegistry(io.micrometer.prometheusmetrics.PrometheusConfig.DEFAULT);
            cp = new ControlPlane(config.controlPlane(), runtime, cloner, identities, Clock.systemUTC(), prometheus);
            sweepOsUsers(identities, cp);
            cp.start();
            this.certificate = config.tlsCertificate() != null
                    ? CertificateAuthority.provided(config.tlsCertificate(), config.tlsKey(), null)
                    : CertificateAuthority.ensure(home.resolve("tls"),
                            List.of("*." + config.hostDomain(), config.hostDomain(), "localhost"), List.of("127.0.0.1", "::1"));
            SslContext ssl = TlsContexts.server(certificate.certChain(), certificate.privateKey());
            gateway = new ProxyGateway(cp);
            proxyServer = new ProxyServer(config.proxy(), gateway, cp.tokens(), ssl);
            this.pgPort = proxyServer.start();
            this.proxy = proxyServer;
            cp.activity().endSessionsWith(new ProxySessionEnder(proxyServer));
            this.gateway = gateway;
            ApiServer server = new ApiServer(cp, prometheus,
                    new dev.oxbow.api.ProxyAddress(config.proxy().listenAddresses().get(0), pgPort, certificate.caCert() == null ? null : certificate.caCert().toString()));
            this.apiPort = server.start(config.apiHost(), config.apiPort());
            this.api = server;
            this.controlPlane = cp;
        } catch (Exception e) {
            if (proxyServer != null) {
                proxyServer.close();
            }
            if (gateway != null) {
                gateway.close();
            }
            if (cp != null) {
                cp.close();
            } else {
                runtime.close();
            }
            releaseLock();
            throw e;
        }
        log.info("oxbow ready home={} api=http://{}:{} postgres={}:{} ca={} admin_token_file={} ms={}", home, config.apiHost(), apiPort,
                config.pgHost(), pgPort, certificate.caCert(), home.resolve("admin-token"), (System.nanoTime() - start) / 1_000_000);
        // off the start-up path: a lookup of a real domain may wait on DNS for seconds
        Thread.ofVirtual().name("host-name-check").start(() -> HostNameCheck.problem(config.hostDomain(), HostNameCheck.Resolver.system())
                .ifPresent(problem -> log.warn("{}", problem)));
    }

    /** Frees the home for the next server: after a failed start and at close. */
    private void releaseLock() throws IOException {
        lock.release();
        lockChannel.close();
    }

    public static OxbowServer start(ServerConfig config) throws Exception {
        return new OxbowServer(config);
    }

    public int apiPort() { return apiPort; }
    public int pgPort() { return pgPort; }
    public Path caCertificate() { return certificate.caCert(); }
    public ProxyServer proxy() { return proxy; }
    public String baseUrl() { return "http://" + config.apiHost() + ":" + apiPort; }
    public ServerConfig config() { return config; }
    public ControlPlane controlPlane() { return controlPlane; }

    public String adminToken() throws IOException {
        return Files.readString(config.home().resolve("admin-token")).strip();
    }

    /** Stops the API, then every compute cleanly; what was ACTIVE comes back at the next start. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        log.info("oxbow stopping home={}", config.home());
        try {
            api.close();
            proxy.close();
            gateway.close(); // queued login records, while the store is still open
        } finally {
            controlPlane.close();
            try {
                releaseLock();
            } catch (IOException e) {
                log.warn("cannot release lock file cause={}", e.getMessage());
            }
        }
        log.info("oxbow stopped home={}", config.home());
    }
}
