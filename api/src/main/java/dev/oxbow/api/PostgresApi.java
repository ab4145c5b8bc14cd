package dev.oxbow.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.oxbow.controlplane.resource.ApiException;
import dev.oxbow.controlplane.ControlPlane;
import dev.oxbow.controlplane.resource.ListResult;
import dev.oxbow.metadata.Operation;
import dev.oxbow.controlplane.identity.AccessControl;
import dev.oxbow.controlplane.identity.Principal;
import dev.oxbow.metadata.Project;
import io.javalin.http.Context;

import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.function.Function;

/**
 * {@code /api/2.0/postgres/{name...}}: clients put full resource names in the path, so requests are
 * routed by the shape of the name rather than by fixed templates.
 */
final class PostgresApi {
    private final ControlPlane cp;
    private final ResourceWriter writer;
    private final ObjectMapper mapper;

    PostgresApi(ControlPlane cp, ResourceWriter writer, ObjectMapper mapper) {
        this.cp = cp;
        this.writer = writer;
        this.mapper = mapper;
    }

    void handle(Context ctx, String path, Principal caller) {
        String name = trimSlashes(path);
        String[] seg = name.isEmpty() ? new String[0] : name.split("/");
        String method = ctx.method().name();
        authorize(seg, method, caller);
        if (seg.length >= 2 && seg[seg.length - 2].equals("operations")) {
            requireMethod(ctx, "GET");
            Operation op = cp.operation(name);
            if (!seg[0].equals("projects")) {
                requireUseOfOperation(op, caller); // synced_tables/...: the path names no project, the operation does
            }
            ctx.json(writer.operation(op));
            return;
        }
        int n = seg.length;
        if (n == 1 && seg[0].equals("credentials")) {
            requireMethod(ctx, "POST");
            ctx.json(credential(body(ctx), caller));
            return;
        }
        if (n == 7 && seg[4].equals("roles") && seg[6].equals("reset_password")) {
            requireMethod(ctx, "POST");
            String role = String.join("/", Arrays.copyOf(seg, 6));
            String password = cp.roles().resetPassword(role);
            ObjectNode out = mapper.createObjectNode();
            out.put("password", password);
            out.set("role", writer.role(cp.roles().get(role)));
            ctx.json(out);
            return;
        }
        if (n == 7 && seg[0].equals("projects") && seg[2].equals("branches") && seg[4].equals("databases") && seg[6].equals("data-api")) {
            String database = String.join("/", Arrays.copyOf(seg, 6));
            switch (method) {
                case "POST" -> ctx.json(op(cp.dataApis().create(database, DataApiJson.spec(body(ctx)))));
                case "GET" -> ctx.json(writer.dataApi(cp.dataApis().get(name)));
                case "PATCH" -> ctx.json(op(cp.dataApis().update(name, DataApiJson.spec(body(ctx)), mask(ctx))));
                case "DELETE" -> ctx.json(op(cp.dataApis().delete(name)));
                default -> throw unknownRoute(ctx);
            }
            return;
        }
        if (n >= 7 && seg[0].equals("projects") && seg[2].equals("branches") && seg[4].equals("databases") && seg[6].equals("cdf-configs")) {
            cdf(ctx, method, seg, name, caller);
            return;
        }
        if (n == 1 && seg[0].equals("synced_tables")) {
            requireMethod(ctx, "POST");
            var spec = cp.syncedTables().resolveTarget(caller, ctx.queryParam("synced_table_id"), SpecReader.syncedTable(body(ctx)));
            if (spec.branch() != null) {
                cp.projects().find("projects/" + spec.branch().split("/")[Math.min(1, spec.branch().split("/").length - 1)])
                        .ifPresent(p -> cp.access().requireManage(caller, p));
            }
            ctx.json(op(cp.syncedTables().create(caller, ctx.queryParam("synced_table_id"), spec)));
            return;
        }
        if (n == 1 && seg[0].equals("catalogs")) {
            requireMethod(ctx, "POST");
            var spec = SpecReader.catalog(body(ctx));
            String[] branchParts = spec == null || spec.branch() == null ? new String[0] : spec.branch().split("/");
            if (branchParts.length >= 2 && branchParts[0].equals("projects") && !branchParts[1].isEmpty()) {
                // the project is checked before the branch is looked up, so a stranger learns nothing of its branches;
                // a malformed name is left to the service's refusal
                String projectName = "projects/" + branchParts[1];
                cp.access().requireManage(caller, cp.projects().find(projectName)
                        .orElseThrow(() -> ApiException.notFound("project", projectName)));
            }
            ctx.json(op(cp.catalogs().create(ctx.queryParam("catalog_id"), spec)));
            return;
        }
        if (n == 2 && seg[0].equals("catalogs")) {
            var catalog = cp.catalogs().get(name);
            Project project = cp.projects().find(Project.nameOf(catalog.projectId()))
                    .orElseThrow(() -> ApiException.notFound("catalog", name));
            switch (method) {
                case "GET" -> {
                    asResource(() -> cp.access().requireUse(caller, project), "catalog", name);
                    ctx.json(writer.catalog(catalog));
                }
                case "DELETE" -> {
                    asResource(() -> cp.access().requireManage(caller, project), "catalog", name);
                    ctx.json(op(cp.catalogs().delete(name)));
                }
                default -> throw unknownRoute(ctx);
            }
            return;
        }
        if (n == 2 && seg[0].equals("synced_tables")) {
            syncedTable(ctx, method, seg[1], caller);
            return;
        }
        if (n >= 1 && !seg[0].equals("projects")) {
            throw unknownRoute(ctx);
        }
        switch (n) {
            case 1 -> collection(ctx, method,
                    () -> op(cp.projects().create(ctx.queryParam("project_id"), SpecReader.project(body(ctx)), SpecReader.projectInitial(body(ctx)), caller)),
                    () -> list(ctx, "projects", visible(cp.projects().list(pageSize(ctx), ctx.queryParam("page_token"), flag(ctx, "show_deleted")), caller), writer::project));
            case 2 -> resource(ctx, method,
                    () -> writer.project(cp.projects().read(name)),
                    () -> op(cp.projects().update(name, SpecReader.project(body(ctx)), mask(ctx))),
                    () -> op(cp.projects().delete(name, flag(ctx, "purge"))));
            case 3 -> {
                String parent = seg[0] + "/" + seg[1];
                switch (seg[2]) {
                    case "undelete" -> undelete(ctx, method, () -> op(cp.projects().undelete(parent)));
                    case "branches" -> collection(ctx, method,
                            () -> op(createBranch(ctx, parent)),
                            () -> list(ctx, "branches", cp.branches().list(parent, pageSize(ctx), ctx.queryParam("page_token"), flag(ctx, "show_deleted")), writer::branch));
                    case "snapshots" -> collection(ctx, method,
                            () -> op(cp.snapshots().create(parent, ctx.queryParam("snapshot_id"), SpecReader.snapshotSourceBranch(body(ctx)))),
                            () -> list(ctx, "snapshots", cp.snapshots().list(parent, pageSize(ctx), ctx.queryParam("page_token")), writer::snapshot));
                    default -> throw unknownRoute(ctx);
                }
            }
            case 4 -> {
                if (seg[2].equals("snapshots")) {
                    switch (method) {
                        case "GET" -> ctx.json(writer.snapshot(cp.snapshots().get(name)));
                        case "DELETE" -> ctx.json(op(cp.snapshots().delete(name, flag(ctx, "allow_missing"))));
                        default -> throw unknownRoute(ctx);
                    }
                    return;
                }
                if (!seg[2].equals("branches")) {
                    throw unknownRoute(ctx);
                }
                int colon = seg[3].indexOf(':');
                if (colon >= 0) {
                    branchAction(ctx, name.substring(0, name.length() - seg[3].length() + colon), seg[3].substring(colon + 1));
                    return;
                }
                resource(ctx, method,
                        () -> writer.branch(cp.branches().read(name)),
                        () -> op(cp.branches().update(name, SpecReader.branchUpdate(body(ctx)), mask(ctx))),
                        () -> op(cp.branches().delete(name, flag(ctx, "purge"), flag(ctx, "allow_missing"))));
            }
            case 5 -> {
                if (!seg[2].equals("branches")) {
                    throw unknownRoute(ctx);
                }
                String parent = String.join("/", Arrays.copyOf(seg, 4));
                switch (seg[4]) {
                    case "undelete" -> undelete(ctx, method, () -> op(cp.branches().undelete(parent)));
                    case "snapshots" -> collection(ctx, method, // the branch-parent form some SDK versions document
                            () -> op(cp.snapshots().create(seg[0] + "/" + seg[1], ctx.queryParam("snapshot_id"), parent)),
                            () -> list(ctx, "snapshots", cp.snapshots().listOf(parent, pageSize(ctx), ctx.queryParam("page_token")), writer::snapshot));
                    case "snapshot-schedule" -> {
                        switch (method) {
                            case "GET" -> ctx.json(writer.snapshotSchedule(cp.snapshots().schedule(parent)));
                            case "PATCH" -> ctx.json(writer.snapshotSchedule(cp.snapshots().updateSchedule(parent,
                                    SpecReader.scheduleFrequency(body(ctx)), mask(ctx))));
                            default -> throw unknownRoute(ctx);
                        }
                    }
                    case "endpoints" -> collection(ctx, method,
                            () -> op(cp.endpoints().create(parent, ctx.queryParam("endpoint_id"), SpecReader.endpoint(body(ctx)), flag(ctx, "replace_existing"))),
                            () -> list(ctx, "endpoints", cp.endpoints().list(parent, pageSize(ctx), ctx.queryParam("page_token")), writer::endpoint));
                    case "roles" -> collection(ctx, method,
                            () -> op(cp.roles().create(parent, ctx.queryParam("role_id"), SpecReader.role(body(ctx)), flag(ctx, "replace_existing"))),
                            () -> list(ctx, "roles", cp.roles().list(parent, pageSize(ctx), ctx.queryParam("page_token")), writer::role));
                    case "databases" -> collection(ctx, method,
                            () -> op(cp.databases().create(parent, ctx.queryParam("database_id"), SpecReader.database(body(ctx)), flag(ctx, "replace_existing"))),
                            () -> list(ctx, "databases", cp.databases().list(parent, pageSize(ctx), ctx.queryParam("page_token")), writer::database));
                    default -> throw unknownRoute(ctx);
                }
            }
            case 6 -> {
                if (!seg[2].equals("branches")) {
                    throw unknownRoute(ctx);
                }
                switch (seg[4]) {
                    case "endpoints" -> resource(ctx, method,
                            () -> writer.endpoint(cp.endpoints().get(name)),
                            () -> op(cp.endpoints().update(name, SpecReader.endpoint(body(ctx)), mask(ctx))),
                            () -> op(cp.endpoints().delete(name)));
                    case "roles" -> resource(ctx, method,
                            () -> writer.role(cp.roles().get(name)),
                            () -> op(cp.roles().update(name, SpecReader.role(body(ctx)), mask(ctx))),
                            () -> op(cp.roles().delete(name, ctx.queryParam("reassign_owned_to"))));
                    case "databases" -> resource(ctx, method,
                            () -> writer.database(cp.databases().get(name)),
                            () -> op(cp.databases().update(name, SpecReader.database(body(ctx)), mask(ctx))),
                            () -> op(cp.databases().delete(name)));
                    default -> throw unknownRoute(ctx);
                }
            }
            default -> throw unknownRoute(ctx);
        }
    }

    /**
     * Oxbow extensions on a branch (Lakebase has them in its UI, not its API): {@code :restore} to a past
     * point in place, {@code :reset} from the parent's head. Both return a long-running operation.
     */
    private void branchAction(Context ctx, String branch, String action) {
        requireMethod(ctx, "POST");
        switch (action) {
            case "restore" -> {
                JsonNode body = body(ctx);
                String snapshot = SpecReader.text(body, "source_snapshot", "");
                if (snapshot != null) {
                    String projectId = branch.split("/")[1];
                    ctx.json(op(cp.branches().restoreFromSnapshot(branch, cp.snapshots().usable(projectId, snapshot, "source_snapshot"))));
                    return;
                }
                String time = SpecReader.text(body, "source_branch_time", "");
                ctx.json(op(cp.branches().restore(branch, SpecReader.text(body, "source_branch_lsn", ""),
                        time == null ? null : Wire.parseTimestamp("source_branch_time", time))));
            }
            case "reset" -> ctx.json(op(cp.branches().reset(branch)));
            default -> throw unknownRoute(ctx);
        }
    }

    /** A branch from its parent's head, a past point, or a project snapshot ({@code spec.source_snapshot}). */
    private Operation createBranch(Context ctx, String parent) {
        JsonNode body = body(ctx);
        var spec = SpecReader.branch(body);
        String snapshot = SpecReader.sourceSnapshot(body);
        var from = snapshot == null ? null : cp.snapshots().usable(parent.substring("projects/".length()), snapshot, "spec.source_snapshot");
        return cp.branches().create(parent, ctx.queryParam("branch_id"), spec, flag(ctx, "replace_existing"), from, SpecReader.branchMasked(body));
    }

    /** {@code synced_tables/<c.s.t>}: GET, DELETE ({@code purge_data} drops the Postgres table), and POST {@code :sync} (Oxbow extension). */
    private void syncedTable(Context ctx, String method, String id, Principal caller) {
        boolean syncCall = id.endsWith(":sync");
        String name = "synced_tables/" + (syncCall ? id.substring(0, id.length() - ":sync".length()) : id);
        var table = cp.syncedTables().get(name);
        Project project = cp.projects().find(Project.nameOf(table.projectId()))
                .orElseThrow(() -> ApiException.notFound("synced table", name));
        if (method.equals("GET") && !syncCall) {
            asResource(() -> cp.access().requireUse(caller, project), "synced table", name);
            ctx.json(writer.syncedTable(table, cp.syncedTables().progress(name)));
            return;
        }
        asResource(() -> cp.access().requireManage(caller, project), "synced table", name);
        if (syncCall) {
            requireMethod(ctx, "POST");
            ctx.json(op(cp.syncedTables().sync(name)));
        } else if (method.equals("DELETE")) {
            ctx.json(op(cp.syncedTables().delete(name, flag(ctx, "purge_data"))));
        } else {
            throw unknownRoute(ctx);
        }
    }

    /** {@code <database>/cdf-configs[/<id>[/cdf-statuses[/<table>]]]}; the project in the path was checked by {@link #authorize}. */
    private void cdf(Context ctx, String method, String[] seg, String name, Principal caller) {
        int n = seg.length;
        String database = String.join("/", Arrays.copyOf(seg, 6));
        if (n == 7) {
            collection(ctx, method, () -> {
                JsonNode b = body(ctx);
                return op(cp.cdfConfigs().create(caller, database, ctx.queryParam("cdf_config_id"), SpecReader.textField(b, "catalog"),
                        SpecReader.textField(b, "schema"), SpecReader.textField(b, "postgres_schema")));
            }, () -> list(ctx, "cdf_configs", cp.cdfConfigs().list(database, pageSize(ctx), ctx.queryParam("page_token")), writer::cdfConfig));
        } else if (n == 8) {
            switch (method) {
                case "GET" -> ctx.json(writer.cdfConfig(cp.cdfConfigs().get(name)));
                case "DELETE" -> ctx.json(op(cp.cdfConfigs().delete(name, flag(ctx, "force"))));
                default -> throw unknownRoute(ctx);
            }
        } else if (n == 9 && seg[8].equals("cdf-statuses")) {
            requireMethod(ctx, "GET");
            String config = String.join("/", Arrays.copyOf(seg, 8));
            ctx.json(list(ctx, "cdf_statuses", cp.cdfConfigs().statuses(config, pageSize(ctx), ctx.queryParam("page_token")),
                    s -> writer.cdfStatus(s, cp.cdfRunner().retainedWalBytes(config), cp.cdfRunner().lagBytes(config))));
        } else if (n == 10 && seg[8].equals("cdf-statuses")) {
            requireMethod(ctx, "GET");
            String config = String.join("/", Arrays.copyOf(seg, 8));
            ctx.json(writer.cdfStatus(cp.cdfConfigs().status(name), cp.cdfRunner().retainedWalBytes(config), cp.cdfRunner().lagBytes(config)));
        } else {
            throw unknownRoute(ctx);
        }
    }

    /**
     * Runs an access check on the project behind a resource whose path names no project; a stranger gets the
     * resource's own 404, never the project's name.
     */
    private static void asResource(Runnable check, String type, String name) {
        try {
            check.run();
        } catch (ApiException e) {
            if (e.httpStatus() == 404) {
                throw ApiException.notFound(type, name);
            }
            throw e;
        }
    }

    private interface Call {
        ObjectNode run();
    }

    private void collection(Context ctx, String method, Call create, Call list) {
        switch (method) {
            case "POST" -> ctx.json(create.run());
            case "GET" -> ctx.json(list.run());
            default -> throw unknownRoute(ctx);
        }
    }

    private void resource(Context ctx, String method, Call get, Call update, Call delete) {
        switch (method) {
            case "GET" -> ctx.json(get.run());
            case "PATCH" -> ctx.json(update.run());
            case "DELETE" -> ctx.json(delete.run());
            default -> throw unknownRoute(ctx);
        }
    }

    private void undelete(Context ctx, String method, Call undelete) {
        requireMethod(ctx, "POST");
        ctx.json(undelete.run());
    }

    /** Reads need CAN_USE on the project named in the path, changes CAN_MANAGE; strangers get 404. */
    private void authorize(String[] seg, String method, Principal caller) {
        if (seg.length >= 2 && seg[0].equals("projects")) {
            cp.projects().find("projects/" + seg[1]).ifPresent(project -> {
                if (method.equals("GET")) {
                    cp.access().requireUse(caller, project);
                } else {
                    cp.access().requireManage(caller, project);
                }
            });
        }
    }

    /** Reading an operation needs CAN_USE on its project; one whose project is gone only admins see. */
    private void requireUseOfOperation(Operation op, Principal caller) {
        var project = op.projectId() == null ? java.util.Optional.<Project>empty()
                : cp.projects().find(Project.nameOf(op.projectId()));
        if (project.isPresent()) {
            cp.access().requireUse(caller, project.get());
        } else if (!caller.admin()) {
            throw ApiException.notFound("operation", op.name());
        }
    }

    private ListResult<Project> visible(ListResult<Project> page, Principal caller) {
        return new ListResult<>(page.items().stream()
                .filter(p -> cp.access().level(caller, p) != AccessControl.Level.NONE).toList(), page.nextPageToken());
    }

    private ObjectNode credential(JsonNode body, Principal caller) {
        var request = SpecReader.credentialRequest(body);
        if (request.endpoint() != null) {
            var endpoint = cp.endpoints().get(request.endpoint());
            cp.access().requireUse(caller, cp.projects().find(Project.nameOf(endpoint.projectId())).orElseThrow());
        }
        var credential = cp.credentials().generate(caller, request.endpoint(), request.ttlSeconds(), request.expireTime(), request.scope());
        ObjectNode n = mapper.createObjectNode();
        n.put("token", credential.token());
        n.put("expire_time", Wire.timestamp(credential.expireTime()));
        return n;
    }

    private ObjectNode op(Operation op) {
        return writer.operation(op);
    }

    private <T> ObjectNode list(Context ctx, String key, ListResult<T> result, Function<T, ObjectNode> render) {
        ObjectNode n = mapper.createObjectNode();
        var items = n.putArray(key);
        result.items().forEach(item -> items.add(render.apply(item)));
        if (result.nextPageToken() != null) {
            n.put("next_page_token", result.nextPageToken());
        }
        return n;
    }

    private JsonNode body(Context ctx) {
        String text = ctx.body();
        if (text.isBlank()) {
            return mapper.createObjectNode();
        }
        try {
            return mapper.readTree(text);
        } catch (Exception e) {
            throw ApiException.invalid("The request body is not valid JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
    }

    static Set<String> mask(Context ctx) {
        return mask(ctx.queryParam("update_mask"));
    }

    /** The paths of an update_mask query value as the SDKs send it: one comma-joined string. */
    static Set<String> mask(String raw) {
        if (raw == null || raw.isBlank()) {
            return Set.of();
        }
        Set<String> paths = new LinkedHashSet<>();
        for (String p : raw.split(",")) {
            if (!p.isBlank()) {
                paths.add(p.strip());
            }
        }
        return paths;
    }

    private static Integer pageSize(Context ctx) {
        String raw = ctx.queryParam("page_size");
        if (raw == null || raw.isEmpty()) {
            return null;
        }
        try {
            return Integer.parseInt(raw);
        } catch (NumberFormatException e) {
            throw ApiException.invalid("Field page_size must be a whole number, got '" + raw + "'.");
        }
    }

    private static boolean flag(Context ctx, String name) {
        String raw = ctx.queryParam(name);
        if (raw == null || raw.isEmpty()) {
            return false;
        }
        return switch (raw.toLowerCase(java.util.Locale.ROOT)) {
            case "true", "1" -> true;
            case "false", "0" -> false;
            default -> throw ApiException.invalid("Query parameter " + name + " must be true or false, got '" + raw + "'.");
        };
    }

    private static void requireMethod(Context ctx, String method) {
        if (!ctx.method().name().equals(method)) {
            throw unknownRoute(ctx);
        }
    }

    static ApiException unknownRoute(Context ctx) {
        return new ApiException(404, "ENDPOINT_NOT_FOUND", "No API found for '" + ctx.method().name() + " " + ctx.path() + "'.");
    }

    private static String trimSlashes(String s) {
        int start = 0;
        int end = s.length();
        while (start < end && s.charAt(start) == '/') start++;
        while (end > start && s.charAt(end - 1) == '/') end--;
        return s.substring(start, end);
    }

}
