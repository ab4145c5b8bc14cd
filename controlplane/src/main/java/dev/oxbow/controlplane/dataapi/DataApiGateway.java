package dev.oxbow.controlplane.dataapi;

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
 * the caller's role, so grants and row-level security decide.
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
    private static final ObjectMapper JSON = new ObjectMapper();

    private final MetadataStore store;
    private final DataApiService service;
    private final DataApiCallers callers;
    private final ComputeActivity activity;
    private final ConnectionPool pool;
    private final SchemaCaches caches = new SchemaCaches();

    public DataApiGateway(MetadataStore store, DataApiService service, IdentityService identity, TokenService tokens, AccessControl access,
                          ComputeActivity activity, Clock clock) {
        this.store = store;
        this.service = service;
        this.callers = new DataApiCallers(store, identity, tokens, access);
        this.activity = activity;
        this.pool = new ConnectionPool(4, Duration.ofSeconds(2), clock);
    }

    /** The path a database's Data API is served under (without host), e.g. {@code /api/2.0/oxbow/data-api/p/production/db}. */
    public static String pathOf(DataApi api) {
        return BASE_PATH + "/" + api.projectId() + "/" + api.branchId() + "/" + api.databaseId();
    }

    /** A READY data API on {@code projects/<p>/branches/<b>/databases/<d>} of a live branch; empty means 404. */
    public Optional<DataApi> find(String projectId, String branchId, String databaseId) {
        String db = Database.nameOf(projectId, branchId, databaseId);
        return service.current(db).filter(api -> api.state() == DataApiService.READY)
                .filter(api -> store.branches().get(api.branchNameOf()).filter(b -> !b.deleted()).isPresent())
                .filter(api -> store.projects().get(Project.nameOf(projectId)).filter(p -> !p.deleted()).isPresent());
    }

    /** Answers one request for {@code api} with the bearer token {@code bearer} (null when none was sent). */
    public DataApiResponse handle(DataApi api, String bearer, DataApiRequest request) {
        long started = System.nanoTime();
        DataApiResponse response;
        try {
            response = serve(api, bearer, request);
        } catch (PostgrestException e) {
            response = error(e);
        }
        if (api.serverTimingEnabled()) {
            Map<String, String> headers = new LinkedHashMap<>(response.headers());
            headers.put("Server-Timing", String.format(java.util.Locale.ROOT, "total;dur=%.1f", (System.nanoTime() - started) / 1e6));
            response = new DataApiResponse(response.status(), Map.copyOf(headers), response.body());
        }
        return response;
    }

    private DataApiResponse serve(DataApi api, String bearer, DataApiRequest request) {
        Project project = store.projects().get(Project.nameOf(api.projectId())).orElseThrow(DataApiGateway::notFound);
        Branch branch = store.branches().get(api.branchNameOf()).orElseThrow(DataApiGateway::notFound);
        Database db = store.databases().get(api.parentName()).orElseThrow(DataApiGateway::notFound);
        DataApiCallers.Caller caller = callers.resolve(bearer, project, branch);
        Endpoint endpoint = store.endpoints().list(branch.name()).stream().filter(Endpoint::readWrite).findFirst()
                .orElseThrow(() -> unavailable("branch " + branch.name() + " has no read-write endpoint"));
        if (endpoint.disabled()) {
            throw unavailable("the read-write endpoint " + endpoint.name() + " is disabled");
        }
        Path socketDir;
        try {
            socketDir = activity.acquire(endpoint.uid()).get(WAKE_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (Exception e) {
            activity.release(endpoint.uid());
            throw unavailable("the compute " + endpoint.name() + " could not be woken: " + rootMessage(e));
        }
        String key = endpoint.uid() + "/" + db.postgresDatabase() + "/" + caller.role();
        try {
            // a pooled connection may predate a suspend: it fails on the first statement, before the request's own
            // transaction; then the pool is emptied and the request runs once more on a new connection
            for (int attempt = 1; ; attempt++) {
                Connection c = pool.borrow(key, () -> PgConnections.open(socketDir, db.postgresDatabase(), caller.role()));
                SchemaCache cache;
                try {
                    cache = caches.get(endpoint.uid() + "/" + db.postgresDatabase(), c, settings(api).schemas());
                } catch (SQLException e) {
                    ConnectionPool.quietlyClose(c);
                    pool.evict(endpoint.uid() + "/");
                    if (attempt >= 2) {
                        throw e;
                    }
                    continue;
                }
                boolean healthy = false;
                try {
                    DataApiResponse response = new DataApiEngine(settings(api)).handle(c, cache, caller.role(), caller.claims(), request);
                    healthy = !c.isClosed() && c.getAutoCommit();
                    return response;
                } finally {
                    if (healthy) {
                        pool.giveBack(key, c);
                    } else {
                        ConnectionPool.quietlyClose(c);
                    }
                }
            }
        } catch (SQLException e) {
            if (e.getSQLState() != null && e.getSQLState().startsWith("28")) {
                throw new PostgrestException(401, "PGRST301", "role \"" + caller.role() + "\" cannot log in to the database", e.getMessage(),
                        "Data API callers need a role that logs in (auth_method LAKEBASE_OAUTH_V1).");
            }
            pool.evict(endpoint.uid() + "/");
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
                api.dbExtraSearchPath().isEmpty() ? null : api.dbExtraSearchPath(), maxRows, STATEMENT_TIMEOUT, mode);
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
    }
}
