package dev.oxbow.api;

import dev.oxbow.controlplane.dataapi.DataApiGateway;
import dev.oxbow.dataapi.DataApiRequest;
import dev.oxbow.dataapi.DataApiResponse;
import dev.oxbow.dataapi.PostgrestException;
import dev.oxbow.metadata.DataApi;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The Data API on the API port: {@code /api/2.0/oxbow/data-api/<project>/<branch>/<database>/<table | rpc/fn>}. The
 * web server's part only: the raw query string in order, headers, a bounded body, CORS per the data API's allowed origins;
 * {@link DataApiGateway} does the rest. A database without a (READY) data API answers 404, preflights included.
 */
final class DataApiRoutes {
    /** Bodies above this are refused before they are read (PostgREST leaves this to its proxy). */
    static final int MAX_BODY_BYTES = 1 << 20;
    private static final String ALLOW_METHODS = "GET, HEAD, POST, PATCH, PUT, DELETE, OPTIONS";
    private static final String EXPOSE_HEADERS = "Content-Range, Content-Location, Location, Preference-Applied, Server-Timing";

    private final DataApiGateway gateway;

    DataApiRoutes(DataApiGateway gateway) {
        this.gateway = gateway;
    }

    void register(Javalin app) {
        String base = DataApiGateway.BASE_PATH + "/{project}/{branch}/{database}";
        for (HandlerType type : new HandlerType[]{HandlerType.GET, HandlerType.HEAD, HandlerType.POST, HandlerType.PATCH, HandlerType.PUT,
                HandlerType.DELETE, HandlerType.OPTIONS}) {
            app.addHttpHandler(type, base, ctx -> handle(ctx, ""));
            app.addHttpHandler(type, base + "/<rest>", ctx -> handle(ctx, ctx.pathParam("rest")));
        }
    }

    private void handle(Context ctx, String rest) {
        Optional<DataApi> api = gateway.find(ctx.pathParam("project"), ctx.pathParam("branch"), ctx.pathParam("database"));
        if (api.isEmpty()) {
            send(ctx, DataApiGateway.error(new PostgrestException(404, "PGRST000", "No Data API at " + ctx.path(), null,
                    "Create one with POST /api/2.0/postgres/projects/<p>/branches/<b>/databases/<d>/data-api.")));
            return;
        }
        String origin = ctx.header("Origin");
        boolean corsAllowed = origin != null && (api.get().serverCorsAllowedOrigins().contains("*")
                || api.get().serverCorsAllowedOrigins().contains(origin));
        if (corsAllowed) {
            ctx.header("Access-Control-Allow-Origin", origin);
            ctx.header("Vary", "Origin");
            ctx.header("Access-Control-Expose-Headers", EXPOSE_HEADERS);
        }
        if (ctx.method() == HandlerType.OPTIONS) {
            if (corsAllowed) {
                ctx.header("Access-Control-Allow-Methods", ALLOW_METHODS);
                String asked = ctx.header("Access-Control-Request-Headers");
                ctx.header("Access-Control-Allow-Headers", asked == null ? "Authorization, Content-Type, Prefer, Range, Accept, Accept-Profile, Content-Profile" : asked);
                ctx.header("Access-Control-Max-Age", "86400");
            }
            ctx.header("Allow", ALLOW_METHODS);
            ctx.status(200).result("");
            return;
        }
        long length = ctx.contentLength();
        if (length > MAX_BODY_BYTES) {
            send(ctx, DataApiGateway.error(new PostgrestException(413, "PGRST413", "Request body too large", "The limit is " + MAX_BODY_BYTES + " bytes", null)));
            return;
        }
        byte[] body = ctx.bodyAsBytes();
        if (body.length > MAX_BODY_BYTES) {
            send(ctx, DataApiGateway.error(new PostgrestException(413, "PGRST413", "Request body too large", "The limit is " + MAX_BODY_BYTES + " bytes", null)));
            return;
        }
        Map<String, String> headers = new LinkedHashMap<>();
        ctx.headerMap().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), v));
        List<Map.Entry<String, String>> query;
        try {
            query = query(ctx.queryString());
        } catch (PostgrestException e) {
            send(ctx, DataApiGateway.error(e));
            return;
        }
        send(ctx, gateway.handle(api.get(), bearer(ctx), new DataApiRequest(ctx.method().name(), "/" + rest, query, headers, body), ctx.ip()));
    }

    private static void send(Context ctx, DataApiResponse response) {
        ctx.status(response.status());
        response.headers().forEach(ctx::header);
        if (ctx.method() == HandlerType.HEAD || response.status() == 204) {
            ctx.result("");
        } else {
            ctx.result(response.body().getBytes(StandardCharsets.UTF_8));
        }
    }

    /** The query string's pairs in order, repeats kept ({@code id=gte.1&id=lte.9}); {@code +} is a space, as browsers send it. */
    static List<Map.Entry<String, String>> query(String raw) {
        List<Map.Entry<String, String>> out = new ArrayList<>();
        if (raw == null || raw.isEmpty()) {
            return out;
        }
        for (String pair : raw.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String key = eq < 0 ? pair : pair.substring(0, eq);
            String value = eq < 0 ? "" : pair.substring(eq + 1);
            try {
                out.add(Map.entry(URLDecoder.decode(key, StandardCharsets.UTF_8), URLDecoder.decode(value, StandardCharsets.UTF_8)));
            } catch (IllegalArgumentException e) {
                throw new PostgrestException(400, "PGRST100", "Invalid percent-encoding in the query string", pair, null);
            }
        }
        return out;
    }

    private static String bearer(Context ctx) {
        String header = ctx.header("Authorization");
        return header != null && header.regionMatches(true, 0, "Bearer ", 0, 7) ? header.substring(7) : null;
    }
}
