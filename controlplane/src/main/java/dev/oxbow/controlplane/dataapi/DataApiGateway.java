package dev.oxbow.controlplane.dataapi;

import dev.oxbow.controlplane.resource.MetadataCache;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.oxbow.auth.TokenService;
import dev.oxbow.compute.PgConnections;
import dev.oxbow.controlplane.compute.ComputeActivity;
import dev.oxbow.controlplane.identity.AccessControl;
import dev.oxbow.controlplane.identity.IdentityService;
import dev.oxbow.dataapi.ConnectionPool;
import dev.oxbow.dataapi.DataApiEngine;
import dev.oxbow.dataapi.DataApiRequest;
import dev.oxbow.dataapi.DataApiResponse;
import dev.oxbow.dataapi.DataApiSettings;
import dev.oxbow.dataapi.PostgrestException;
import dev.oxbow.dataapi.SchemaCache;
import dev.oxbow.dataapi.SchemaCaches;
import dev.oxbow.metadata.Branch;
import dev.oxbow.metadata.DataApi;
import dev.oxbow.metadata.Database;
import dev.oxbow.metadata.Endpoint;
import dev.oxbow.metadata.MetadataStore;
import dev.oxbow.metadata.Project;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Serves Data API requests: finds the database's data API (absent or not READY: 404), resolves the caller, wakes the
 * branch's read-write compute through the same path as client connections (counted while the request runs, so the
 * suspender sees it), borrows a pooled connection and lets {@link DataApiEngine} run the request in one transaction as
 * the caller's role, so grants and row-level security decide. What a request needs from the metadata (the data API,
 * branch, database, endpoint; the token's caller) is read once and kept until the metadata changes; each request is
 * audited ({@link DataApiAudit}).
 *
 * <p>Why no shared "authenticator" role (PostgREST's design: one login role that is a member of every user role and
 * {@code SET ROLE}s per transaction): on Oxbow callers can create functions, and a function may {@code RESET ROLE} back
 * to the session user and {@code SET ROLE} to any role that user is a member of, i.e. to any other caller.
 * Connections here log in as the caller's own role (peer authentication on the compute's private socket, which only
 * Oxbow's OS user reaches), so the session user is the caller and there is no other role to reach.
 * {@code DataApiTest.aFunctionCannotSwitchToAnotherCallersRole} is that attack.
 */
public final class DataApiGateway implements AutoCloseable {
    /** Where a database's Data API is served on the API port: {@code <base>/<project>/<branch>/<database>/}. */
    public static final String BASE_PATH = "/api/2.0/oxbow/data-api";
    private static final Duration WAKE_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration STATEMENT_TIMEOUT = Duration.ofSeconds(30);
    /** How stale a schema cache may be for a change that adds nothing a request names (a new column under select=*). */
    private static final Duration SCHEMA_RECHECK = Duration.ofSeconds(1);
    /** A request's metadata is read again after any metadata write, and at least this often. */
    private static final Duration TARGET_KEPT = Duration.ofMinutes(1);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What a request path resolves to in the metadata; {@code endpoint} is the branch's read-write one (null: none). */
    private record Target(DataApi api, Project project, Branch branch, Database database, Endpoint endpoint, DataApiSettings settings) {}

    private final MetadataStore store;
    private final DataApiService service;
    private final DataApiCallers callers;
    private final ComputeActivity activity;
    private final ConnectionPool pool;
    private final SchemaCaches caches;
    private final MetadataCache<Optional<Target>> targets;
    private final DataApiAudit audit;
    private final Clock clock;

    public DataApiGateway(MetadataStore store, DataApiService service, IdentityService identity, TokenService tokens, AccessControl access,
                          ComputeActivity activity, Clock clock) {
        this.store = store;
        this.service = service;
        this.callers = new DataApiCallers(store, identity, tokens, access, clock);
        this.activity = activity;
        this.clock = clock;
        this.pool = new ConnectionPool(8, Duration.ofSeconds(2), clock);
        this.caches = new SchemaCaches(clock, SCHEMA_RECHECK);
        this.targets = new MetadataCache<>(store, clock, 10_000);
        this.audit = new DataApiAudit(store);
    }

    /** The path a database's Data API is served under (without host), e.g. {@code /api/2.0/oxbow/data-api/p/production/db}. */
    public static String pathOf(DataApi api) {
        return BASE_PATH + "/" + api.projectId() + "/" + api.branchId() + "/" + api.databaseId();
    }

    /** A READY data API on {@code projects/<p>/branches/<b>/databases/<d>} of a live branch; empty means 404. */
    public Optional<DataApi> find(String projectId, String branchId, String databaseId) {
        return target(projectId, branchId, databaseId).map(Target::api);
    }

    private Optional<Target> target(String projectId, String branchId, String databaseId) {
        return targets.get(projectId + "/" + branchId + "/" + databaseId,
                () -> new MetadataCache.Loaded<>(load(projectId, branchId, databaseId), clock.instant().plus(TARGET_KEPT)));
    }

    private Optional<Target> load(String projectId, String branchId, String databaseId) {
        String dbName = Database.nameOf(projectId, branchId, databaseId);
        Optional<DataApi> api = service.current(dbName).filter(a -> a.state() == DataApiService.READY);
        Optional<Branch> branch = store.branches().get(Branch.nameOf(projectId, branchId)).filter(b -> !b.deleted());
        Optional<Project> project = store.projects().get(Project.nameOf(projectId)).filter(p -> !p.deleted());
        Optional<Database> db = store.databases().get(dbName);
        if (api.isEmpty() || branch.isEmpty() || project.isEmpty() || db.isEmpty()) {
            return Optional.empty();
        }
        Endpoint endpoint = store.endpoints().list(branch.get().name()).stream().filter(Endpoint::readWrite).findFirst().orElse(null);
        return Optional.of(new Target(api.get(), project.get(), branch.get(), db.get(), endpoint, settings(api.get())));
    }

    /** Answers one request for {@code api} with the bearer token {@code bearer} (null when none was sent), and audits it. */
    public DataApiResponse handle(DataApi api, String bearer, DataApiRequest request, String remote) {
        long started = System.nanoTime();
        DataApiResponse response;
        String[] who = {null};
        try {
            response = serve(api, bearer, request, who);
        } catch (PostgrestException e) {
            response = error(e);
        }
        audit.record(clock.instant(), who[0], request.method(), api.name() + request.path(), response.status(), remote);
        if (api.serverTimingEnabled()) {
            Map<String, String> headers = new LinkedHashMap<>(response.headers());
            headers.put("Server-Timing", String.format(java.util.Locale.ROOT, "total;dur=%.1f", (System.nanoTime() - started) / 1e6));
            response = new DataApiResponse(response.status(), Map.copyOf(headers), response.body());
        }
        return response;
    }

    private DataApiResponse serve(DataApi api, String bearer, DataApiRequest request, String[] who) {
        Target target = target(api.projectId(), api.branchId(), api.databaseId()).orElseThrow(DataApiGateway::notFound);
        Branch branch = target.branch();
        Database db = target.database();
        DataApiCallers.Caller caller = callers.resolve(bearer, target.project(), branch);
        who[0] = caller.role();
        Endpoint endpoint = target.endpoint();
        if (endpoint == null) {
            throw unavailable("branch " + branch.name() + " has no read-write endpoint");
        }
        if (endpoint.disabled()) {
            throw unavailable("the read-write endpoint " + endpoint.name() + " is disabled");
        }
        Path socketDir;
        try {
            socketDir = activity.acquire(endpoint).get(WAKE_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (Exception e) {
            activity.release(endpoint.uid());
            throw unavailable("the compute " + endpoint.name() + " could not be woken: " + rootMessage(e));
        }
        String computeKey = endpoint.uid() + "/";
        String schemaKey = computeKey + db.postgresDatabase();
        String key = schemaKey + "/" + caller.role();
        DataApiEngine engine = new DataApiEngine(target.settings());
        boolean reads = request.method().equals("GET") || request.method().equals("HEAD");
        try {
            for (int attempt = 1; ; attempt++) {
                Connection c = pool.borrow(key, () -> PgConnections.open(socketDir, db.postgresDatabase(), caller.role()));
                DataApiResponse response;
                try {
                    response = engine.handle(c, new DataApiEngine.SchemaSource() {
                        public SchemaCache current() throws SQLException {
                            return caches.get(schemaKey, c, target.settings().schemas());
                        }

                        public SchemaCache checkedNow() throws SQLException {
                            return caches.checkedNow(schemaKey, c, target.settings().schemas());
                        }
                    }, caller.role(), caller.claims(), request);
                } catch (RuntimeException e) {
                    ConnectionPool.quietlyClose(c);
                    throw e;
                }
                if (!c.isClosed() && c.getAutoCommit()) {
                    pool.giveBack(key, c);
                    return response;
                }
                // the connection broke (the compute restarted: a reset, a restore, a crash): the compute's other pooled
                // connections are as dead. A read runs again on a new one; a write may have reached the server, so it
                // is not repeated (the client sees PostgREST's retryable 503)
                ConnectionPool.quietlyClose(c);
                pool.evict(computeKey);
                caches.evict(computeKey);
                if (!reads || attempt >= 2) {
                    return response.status() >= 500 ? response : error(unavailable("the connection to the compute broke"));
                }
            }
        } catch (SQLException e) {
            if (e.getSQLState() != null && e.getSQLState().startsWith("28")) {
                throw new PostgrestException(401, "PGRST301", "role \"" + caller.role() + "\" cannot log in to the database", e.getMessage(),
                        "Data API callers need a role that logs in (auth_method LAKEBASE_OAUTH_V1).");
            }
            pool.evict(computeKey);
            caches.evict(computeKey);
            throw unavailable("cannot reach the database: " + e.getMessage());
        } finally {
            activity.release(endpoint.uid());
        }
    }

    private static DataApiSettings settings(DataApi api) {
        DataApiSettings.OpenApiMode mode = api.openapiMode() == null ? DataApiSettings.OpenApiMode.FOLLOW_PRIVILEGES
                : switch (api.openapiMode()) {
                    case DataApiSpec.OPENAPI_DISABLED -> DataApiSettings.OpenApiMode.DISABLED;
                    case DataApiSpec.OPENAPI_IGNORE_PRIVILEGES -> DataApiSettings.OpenApiMode.IGNORE_PRIVILEGES;
                    default -> DataApiSettings.OpenApiMode.FOLLOW_PRIVILEGES;
                };
        Integer maxRows = api.dbMaxRows() == null ? null : (int) Math.min(Integer.MAX_VALUE, api.dbMaxRows());
        return new DataApiSettings(api.dbSchemas().isEmpty() ? null : api.dbSchemas(),
                api.dbExtraSearchPath().isEmpty() ? null : api.dbExtraSearchPath(), maxRows, STATEMENT_TIMEOUT, mode, api.dbAggregatesEnabled());
    }

    private static PostgrestException notFound() {
        return new PostgrestException(404, "PGRST000", "This database has no Data API", null, null);
    }

    private static PostgrestException unavailable(String why) {
        return new PostgrestException(503, "PGRST001", "Database client error. Retrying the connection.", why, null);
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage();
    }

    /** PostgREST's error body for a refusal made before the engine ran. */
    public static DataApiResponse error(PostgrestException e) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("code", e.code());
        body.put("details", e.details());
        body.put("hint", e.hint());
        body.put("message", e.getMessage());
        try {
            return new DataApiResponse(e.status(), Map.of("Content-Type", "application/json; charset=utf-8"), JSON.writeValueAsString(body));
        } catch (java.io.IOException io) {
            throw new IllegalStateException(io);
        }
    }

    /** The allowed CORS origins of a data API ({@code *} allows any). */
    public static List<String> corsOrigins(DataApi api) {
        return api.serverCorsAllowedOrigins();
    }

    @Override
    public void close() {
        pool.close();
        audit.close();
    }
}
