package dev.oxbow.server;

import dev.oxbow.controlplane.identity.AccessControl;
import dev.oxbow.controlplane.ControlPlane;
import dev.oxbow.controlplane.identity.Principal;
import dev.oxbow.controlplane.resource.MetadataCache;
import dev.oxbow.controlplane.resource.MetadataCache.Loaded;
import dev.oxbow.controlplane.sql.ScopedRoles;
import dev.oxbow.metadata.Branch;
import dev.oxbow.metadata.Endpoint;
import dev.oxbow.metadata.Project;
import dev.oxbow.proxy.ProxyBackend;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The proxy's view of the control plane: endpoints by uid, roles by name, wake and connection counting.
 * What a login reads of the metadata (its endpoint, branch and project, its role's login method, its identity and
 * that identity's access to the project) is kept while the metadata is unchanged ({@link MetadataCache}): any write —
 * a new password, a revoked grant, a disabled endpoint, a deleted identity — makes the next login read it again.
 * Those reads were a third of a new connection's CPU in the server (SQLite statements and JSON decoding on the login
 * threads, `bench/run --relay` with async-profiler at {@code -C}).
 */
final class ProxyGateway implements ProxyBackend, AutoCloseable {
    private static final String READ_ONLY_SUFFIX = "-ro";
    /** {@code <uid>-pooler} (and {@code <uid>-ro-pooler}): the same endpoint through its PgBouncer, as on Neon. */
    static final String POOLER_SUFFIX = "-pooler";
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ProxyGateway.class);
    private final ControlPlane cp;
    private final LoginAudit audit;
    private final ScopedRoles scopedRoles = new ScopedRoles();
    /** Role SQL for scoped credentials runs here, never on the proxy's event loops. */
    // platform threads, not virtual ones: junixsocket's virtual-thread poller lost the wake-up of a pgjdbc login on a
    // unix socket (a time-travel start hung in doAuthentication with the backend already idle)
    private final java.util.concurrent.ExecutorService blocking = java.util.concurrent.Executors.newCachedThreadPool(
            Thread.ofPlatform().name("oxbow-proxy-blocking-", 0).daemon(true).factory());

    /** Per login kept while the metadata is unchanged; bounded, and names nobody has are not kept. */
    private static final int CACHED_LOGINS = 10_000;
    private final MetadataCache<Optional<EndpointTarget>> targets;
    private final MetadataCache<Optional<RoleLogin>> roles;
    private final MetadataCache<Optional<Holder>> holders;

    /** What a login's refusal check needs of its identity: when it was made, and whether it may use the project. */
    private record Holder(Instant createTime, boolean mayUse) {}

    ProxyGateway(ControlPlane cp) {
        this.cp = cp;
        this.audit = new LoginAudit(cp.store());
        java.time.Clock clock = java.time.Clock.systemUTC();
        this.targets = new MetadataCache<>(cp.store(), clock, CACHED_LOGINS);
        this.roles = new MetadataCache<>(cp.store(), clock, CACHED_LOGINS);
        this.holders = new MetadataCache<>(cp.store(), clock, CACHED_LOGINS);
    }

    /** After the proxy stopped: writes the audit records still queued. */
    @Override
    public void close() {
        blocking.close();
        audit.close();
    }

    @Override
    public Optional<EndpointTarget> resolve(String endpointUid) {
        var store = cp.store();
        if (endpointUid.endsWith(POOLER_SUFFIX)) {
            String direct = endpointUid.substring(0, endpointUid.length() - POOLER_SUFFIX.length());
            return direct.endsWith(POOLER_SUFFIX) ? Optional.empty() : resolve(direct).map(EndpointTarget::throughPooler);
        }
        if (endpointUid.endsWith(READ_ONLY_SUFFIX)) {
            return readOnlyTarget(endpointUid.substring(0, endpointUid.length() - READ_ONLY_SUFFIX.length()));
        }
        return targets.get(endpointUid, () -> new Loaded<>(cp.activity().endpointByUid(endpointUid).flatMap(e -> {
            Optional<Branch> branch = store.branches().get(e.parentName()).filter(b -> !b.deleted());
            Optional<Project> project = store.projects().get(Project.nameOf(e.projectId())).filter(p -> !p.deleted());
            if (branch.isEmpty() || project.isEmpty()) {
                return Optional.empty();
            }
            return Optional.of(new EndpointTarget(e.uid(), e.name(), branch.get().name(), e.disabled(), project.get().enablePgNativeLogin()));
        }), Instant.MAX), Optional::isPresent);
    }

    /**
     * {@code <primary uid>-ro} is the branch's read-only host: a running replica if there is one, else the
     * first replica (woken on connect). A branch without replicas has no read-only endpoint to route to.
     */
    private Optional<EndpointTarget> readOnlyTarget(String primaryUid) {
        return cp.activity().endpointByUid(primaryUid).filter(Endpoint::readWrite).flatMap(primary -> {
            List<Endpoint> replicas = cp.store().endpoints().list(primary.parentName()).stream()
                    .filter(e -> !e.readWrite() && !e.disabled()).toList();
            return replicas.stream().filter(cp.computes()::running).findFirst()
                    .or(() -> replicas.stream().findFirst())
                    .flatMap(replica -> resolve(replica.uid()))
                    .map(target -> target.addressedAs(primaryUid));
        });
    }

    @Override
    public Optional<RoleLogin> role(EndpointTarget target, String pgUser) {
        return roles.get(target.branchName() + "\n" + pgUser, () -> new Loaded<>(cp.store().roles().list(target.branchName()).stream()
                .filter(r -> r.postgresRole().equals(pgUser))
                .findFirst()
                .map(r -> new RoleLogin(r.authMethod(), r.scramVerifier())), Instant.MAX), Optional::isPresent);
    }

    @Override
    public Optional<String> loginRefusal(EndpointTarget target, String identity, Instant issueTime) {
        String projectId = target.endpointName().split("/")[1];
        Optional<Holder> holder = holders.get(identity + "\n" + projectId, () -> new Loaded<>(cp.identity().byRoleName(identity).map(h -> {
            Optional<Project> project = cp.store().projects().get(Project.nameOf(projectId));
            return new Holder(h.createTime(), project.isPresent() && cp.access().level(h.principal(), project.get()) != AccessControl.Level.NONE);
        }), Instant.MAX), Optional::isPresent);
        if (holder.isEmpty()) {
            return Optional.of("identity \"" + identity + "\" no longer exists or is deactivated; its role cannot log in");
        }
        // JWT times are whole seconds
        if (issueTime.isBefore(holder.get().createTime().truncatedTo(java.time.temporal.ChronoUnit.SECONDS))) {
            return Optional.of("this database credential was issued before identity \"" + identity
                    + "\" was created (to a deleted identity of the same name); request a new one");
        }
        if (!holder.get().mayUse()) {
            return Optional.of("\"" + identity + "\" may not use project " + projectId + "; ask an owner to grant CAN_USE");
        }
        return Optional.empty();
    }

    @Override
    public CompletableFuture<String> readOnlyRole(EndpointTarget target, Path socketDir, String login, String database, List<String> tables,
                                                  String credentialId, Instant expireTime) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return scopedRoles.ensure(socketDir, login, database, tables, credentialId, expireTime, Instant.now());
            } catch (ScopedRoles.Refused e) {
                throw new java.util.concurrent.CompletionException(new IllegalStateException(e.getMessage()));
            } catch (java.sql.SQLException e) {
                log.warn("read-only role not made endpoint={} cause={}", target.endpointName(), e.getMessage());
                throw new java.util.concurrent.CompletionException(new IllegalStateException("its role could not be prepared: " + e.getMessage()));
            }
        }, blocking);
    }

    @Override
    public Optional<String> groupRefusal(String identity, String group) {
        var holder = cp.identity().byRoleName(identity);
        var found = cp.store().identities().groupByName(group);
        if (holder.isEmpty() || found.isEmpty() || !found.get().memberIds().contains(holder.get().principal().id())) {
            return Optional.of("\"" + identity + "\" is not a member of group \"" + group + "\" (any more); its group credential cannot log in");
        }
        return Optional.empty();
    }

    @Override
    public void loginAttempt(EndpointTarget target, String user, String remote, boolean accepted, String detail) {
        String who = user == null ? "-" : user;
        String resource = target == null ? "-" : target.endpointName();
        if (accepted) {
            audit.accepted(who, resource, remote, detail);
        } else {
            audit.refused(who, resource, remote, detail);
        }
    }

    @Override
    public CompletableFuture<Path> acquire(String endpointUid) {
        return cp.activity().acquire(endpointUid);
    }

    @Override
    public CompletableFuture<Path> acquirePooled(String endpointUid) {
        return cp.activity().acquirePooled(endpointUid);
    }

    /** Idle time of a time-travel compute whose endpoint never suspends. */
    private static final java.time.Duration PAST_IDLE_DEFAULT = java.time.Duration.ofMinutes(5);

    @Override
    public CompletableFuture<PastSession> acquireAt(EndpointTarget target, dev.oxbow.proxy.PastPoint at) {
        return CompletableFuture.supplyAsync(() -> {
            Endpoint e = cp.activity().endpointByUid(target.endpointUid())
                    .orElseThrow(() -> new IllegalStateException("endpoint " + target.endpointName() + " no longer exists"));
            Branch branch = cp.store().branches().get(e.parentName()).filter(b -> !b.deleted())
                    .orElseThrow(() -> new IllegalStateException("branch " + e.parentName() + " is deleted"));
            Project project = cp.store().projects().get(Project.nameOf(e.projectId())).filter(p -> !p.deleted())
                    .orElseThrow(() -> new IllegalStateException("project " + e.projectId() + " is deleted"));
            // it idles out like its endpoint would
            java.time.Duration idle = e.noSuspension() || e.suspendTimeoutSeconds() == null ? PAST_IDLE_DEFAULT
                    : java.time.Duration.ofSeconds(e.suspendTimeoutSeconds());
            var point = new dev.oxbow.storage.PointInTimeRecovery.Target(at.lsn(), at.time());
            try {
                var lease = cp.pastComputes().acquire(project, branch, point, idle);
                return new PastSession(lease.uid(), lease.socketDir(), lease.release());
            } catch (dev.oxbow.controlplane.resource.ApiException refused) {
                // the restore window, a point in the future or past the WAL's end: the message names the window
                throw new java.util.concurrent.CompletionException(new Refused("22023", refused.getMessage()));
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw new java.util.concurrent.CompletionException(ex);
            } catch (Exception ex) {
                log.warn("time-travel compute failed endpoint={} at={} cause={}", target.endpointName(), at, ex.toString());
                throw new java.util.concurrent.CompletionException(new IllegalStateException(ex.getMessage(), ex));
            }
        }, blocking);
    }

    @Override
    public void release(String endpointUid) {
        cp.activity().release(endpointUid);
    }
}
