package dev.oxbow.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.oxbow.controlplane.resource.ApiException;
import dev.oxbow.controlplane.ControlPlane;
import dev.oxbow.controlplane.identity.Principal;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.javalin.json.JavalinJackson;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.UUID;

/**
 * The HTTP face of the control plane: the Databricks-compatible {@code /api/2.0/postgres} API, SCIM Me,
 * health, and fast 404s for the probes SDKs send at start-up. Every API route needs a bearer token.
 */
public final class ApiServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ApiServer.class);
    private static final String CALLER = "oxbow.caller";

    private final Javalin app;
    private final ObjectMapper mapper = new ObjectMapper();
    private final ControlPlane cp;
    private final ResourceWriter writer;

    public ApiServer(ControlPlane cp) {
        this(cp, null);
    }

    /**
     * Sent with every response: the console loads only its own script and style (no inline code, so injected markup
     * cannot run), may not be framed (clickjacking), and browsers must not guess content types.
     */
    static final Map<String, String> SECURITY_HEADERS = Map.of(
            "Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                    + "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
            "X-Frame-Options", "DENY",
            "X-Content-Type-Options", "nosniff",
            "Referrer-Policy", "no-referrer");

    /**
     * With a Prometheus registry, {@code GET /metrics} serves the control plane's figures: without a token (scrapers
     * rarely have one) those that name no tenant; with an admin's token all of them.
     */
    public ApiServer(ControlPlane cp, io.micrometer.prometheusmetrics.PrometheusMeterRegistry prometheus) {
        this(cp, prometheus, null);
    }

    /** With the proxy's address, the console at {@code /} can put together working connection strings. */
    public ApiServer(ControlPlane cp, io.micrometer.prometheusmetrics.PrometheusMeterRegistry prometheus, ProxyAddress proxy) {
        this.cp = cp;
        ResourceWriter writer = new ResourceWriter(mapper, cp.config().hostDomain(), cp.computes(), cp.bucket(),
                cp.projectUsage());
        this.writer = writer;
        PostgresApi postgres = new PostgresApi(cp, writer, mapper);
        this.app = Javalin.create(config -> {
            config.showJavalinBanner = false;
            config.jsonMapper(new JavalinJackson(mapper, false));
            config.http.defaultContentType = "application/json";
            // the web console: static files only; everything it shows comes from the API with the user's token
            config.staticFiles.add(files -> {
                files.hostedPath = "/";
                files.directory = "/oxbow-console";
                files.location = io.javalin.http.staticfiles.Location.CLASSPATH;
                files.headers = SECURITY_HEADERS;
            });
            config.requestLogger.http((ctx, ms) -> {
                if (!ctx.path().equals("/healthz")) {
                    log.debug("http method={} path={} status={} ms={}", ctx.method(), ctx.path(), ctx.statusCode(), ms.longValue());
                }
            });
        });
        app.before(ctx -> SECURITY_HEADERS.forEach(ctx::header));
        app.get("/healthz", ctx -> ctx.json(Map.of("status", "ok")));
        if (prometheus != null) {
            app.get("/metrics", ctx -> {
                cp.refreshMetrics();
                String scrape = prometheus.scrape();
                // per-project figures name tenants: only for an admin's token; scrapers without one get the server-wide ones
                boolean admin = bearer(ctx).flatMap(cp.identity()::authenticate).map(Principal::admin).orElse(false);
                ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(admin ? scrape : PublicMetrics.filter(scrape));
            });
        }
        app.get("/.well-known/databricks-config", ctx -> notFound(ctx, "no host metadata"));
        app.get("/oidc/.well-known/oauth-authorization-server", ctx -> notFound(ctx, "OAuth is not offered; use a personal access token"));
        app.before("/api/*", ctx -> {
            if (isDataApi(ctx)) {
                return; // its own bearer check: database credentials too, and CORS preflights carry no token
            }
            String token = bearer(ctx).orElse(null);
            Principal user = cp.identity().authenticate(token).orElseThrow(() -> ApiException.unauthenticated(token == null
                    ? "Missing 'Authorization: Bearer <token>' header; use the token in $OXBOW_HOME/admin-token."
                    : "Invalid, expired or revoked access token."));
            ctx.attribute(CALLER, user);
        });
        new DataApiRoutes(cp.dataApiGateway()).register(app);
        new IdentityApi(cp, mapper, CALLER).register(app);
        new ConsoleApi(cp, writer, mapper, CALLER, proxy).register(app);
        new BranchDiffApi(cp, mapper, CALLER).register(app);
        new MaskingApi(cp, mapper, CALLER).register(app);
        for (HandlerType type : new HandlerType[]{HandlerType.GET, HandlerType.POST, HandlerType.PATCH, HandlerType.DELETE}) {
            app.addHttpHandler(type, "/api/2.0/postgres/<path>", ctx -> postgres.handle(ctx, ctx.pathParam("path"), ctx.attribute(CALLER)));
        }
        // unknown API routes get JSON 404s; other GETs fall through to the console's static files
        app.get("/api/<path>", ctx -> {
            throw PostgresApi.unknownRoute(ctx);
        });
        for (HandlerType type : new HandlerType[]{HandlerType.POST, HandlerType.PATCH, HandlerType.DELETE, HandlerType.PUT}) {
            app.addHttpHandler(type, "/<path>", ctx -> {
                throw PostgresApi.unknownRoute(ctx);
            });
        }
        // every change, accepted or refused, goes to the audit log
        app.after("/api/*", ctx -> {
            if (!ctx.method().name().equals("GET") && !isDataApi(ctx)) {
                Principal caller = ctx.attribute(CALLER);
                cp.audit().record(java.time.Instant.now(), caller == null ? "anonymous" : caller.name(),
                        ctx.method().name() + " " + ctx.path(), resourceOf(ctx.path(), createdId(ctx)), Integer.toString(ctx.statusCode()), ctx.ip());
            }
        });
        app.exception(ApiException.class, (e, ctx) -> error(ctx, e));
        app.exception(Exception.class, (e, ctx) -> {
            String trace = UUID.randomUUID().toString();
            log.error("request failed method={} path={} trace={}", ctx.method(), ctx.path(), trace, e);
            error(ctx, ApiException.internal("Internal error [TraceId: " + trace + "]; see the server log."));
        });
    }

    private static boolean isDataApi(Context ctx) {
        return ctx.path().startsWith(dev.oxbow.controlplane.dataapi.DataApiGateway.BASE_PATH + "/");
    }

    private static java.util.Optional<String> bearer(Context ctx) {
        String header = ctx.header("Authorization");
        return header != null && header.regionMatches(true, 0, "Bearer ", 0, 7) ? java.util.Optional.of(header.substring(7)) : java.util.Optional.empty();
    }

    private void error(Context ctx, ApiException e) {
        ObjectNode body = mapper.createObjectNode();
        body.put("error_code", e.errorCode()).put("message", e.getMessage());
        if (!e.details().isEmpty()) {
            body.set("details", mapper.valueToTree(e.details()));
        }
        ctx.status(e.httpStatus()).json(body);
    }

    /**
     * The resource an API path is about: the resource name under /api/2.0/postgres, else the path itself; a create
     * ({@code POST …/branches?branch_id=dev}) is about the resource it makes, so a project's audit trail has its birth.
     */
    static String resourceOf(String path, String createdId) {
        String prefix = "/api/2.0/postgres/";
        String resource = path.startsWith(prefix) ? path.substring(prefix.length()) : path;
        return createdId == null ? resource : resource + "/" + createdId;
    }

    /** The id a create names in its query ({@code project_id=…}, {@code branch_id=…}), if it is a plain id. */
    private static String createdId(Context ctx) {
        if (!ctx.method().name().equals("POST")) {
            return null;
        }
        return ctx.queryParamMap().entrySet().stream()
                .filter(e -> e.getKey().endsWith("_id") && e.getValue().size() == 1)
                .map(e -> e.getValue().get(0))
                .filter(dev.oxbow.controlplane.resource.Validate::isId)
                .findFirst().orElse(null);
    }

    private void notFound(Context ctx, String message) {
        error(ctx, new ApiException(404, "NOT_FOUND", message));
    }

    /** Starts listening; returns the bound port (useful with port 0). */
    public int start(String host, int port) {
        app.start(host, port);
        int bound = app.port();
        writer.apiBase("http://" + (host.equals("0.0.0.0") || host.equals("::") ? "localhost" : host) + ":" + bound);
        log.info("api listening host={} port={}", host, bound);
        return bound;
    }

    public ControlPlane controlPlane() {
        return cp;
    }

    @Override
    public void close() {
        app.stop();
    }
}
