package dev.oxbow.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.oxbow.controlplane.resource.ApiException;
import dev.oxbow.controlplane.ControlPlane;
import dev.oxbow.controlplane.identity.Principal;
import dev.oxbow.metadata.AccessToken;
import dev.oxbow.metadata.AuditEvent;
import dev.oxbow.metadata.Group;
import dev.oxbow.metadata.CatalogPermission;
import dev.oxbow.metadata.Permission;
import dev.oxbow.metadata.Project;
import dev.oxbow.metadata.ServicePrincipal;
import dev.oxbow.metadata.User;
import io.javalin.Javalin;
import io.javalin.http.Context;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Identity routes in Databricks' shapes: SCIM Users, ServicePrincipals, Groups and Me; personal access
 * tokens (/api/2.0/token/*, on-behalf-of for service principals); project permissions; and Oxbow's audit log.
 */
final class IdentityApi {
    private static final String SCIM = "/api/2.0/preview/scim/v2";
    private static final String USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User";
    private static final String SP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ServicePrincipal";
    private static final String GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group";
    private static final Set<String> LEVELS = Set.of("CAN_USE", "CAN_MANAGE");

    private final ControlPlane cp;
    private final ObjectMapper mapper;
    private final String callerKey;

    IdentityApi(ControlPlane cp, ObjectMapper mapper, String callerKey) {
        this.cp = cp;
        this.mapper = mapper;
        this.callerKey = callerKey;
    }

    void register(Javalin app) {
        app.get(SCIM + "/Me", ctx -> ctx.header("X-Databricks-Org-Id", "0").json(me(caller(ctx))));
        app.get(SCIM + "/Users", ctx -> ctx.json(listResponse(cp.identity().users().stream().map(this::user).toList())));
        app.post(SCIM + "/Users", ctx -> {
            admin(ctx, "create users");
            JsonNode b = body(ctx);
            User u = cp.identity().createUser(text(b, "userName"), text(b, "displayName"), false);
            if (b.hasNonNull("active") && !b.get("active").isBoolean()) {
                throw ApiException.invalid("Field active must be true or false.");
            }
            if (b.has("active") && !b.get("active").asBoolean(true)) {
                u = cp.identity().setUserActive(u.id(), false);
            }
            ctx.status(201).json(user(u));
        });
        app.get(SCIM + "/Users/{id}", ctx -> ctx.json(user(cp.identity().user(ctx.pathParam("id"))
                .orElseThrow(() -> ApiException.notFound("user", ctx.pathParam("id"))))));
        app.patch(SCIM + "/Users/{id}", ctx -> {
            admin(ctx, "change users");
            Boolean active = null;
            for (JsonNode op : body(ctx).path("Operations")) {
                if ("active".equals(op.path("path").asText()) || op.path("value").has("active")) {
                    active = op.path("path").asText().equals("active") ? op.path("value").asBoolean() : op.path("value").path("active").asBoolean();
                }
            }
            if (active == null) {
                throw ApiException.invalid("Only the 'active' attribute of a user can be patched: {\"Operations\":[{\"op\":\"replace\",\"path\":\"active\",\"value\":false}]}.");
            }
            ctx.json(user(cp.identity().setUserActive(ctx.pathParam("id"), active)));
        });
        app.delete(SCIM + "/Users/{id}", ctx -> {
            admin(ctx, "delete users");
            cp.identity().deleteUser(ctx.pathParam("id"));
            ctx.status(204);
        });

        app.get(SCIM + "/ServicePrincipals", ctx -> ctx.json(listResponse(cp.identity().servicePrincipals().stream().map(this::sp).toList())));
        app.post(SCIM + "/ServicePrincipals", ctx -> {
            admin(ctx, "create service principals");
            JsonNode b = body(ctx);
            ctx.status(201).json(sp(cp.identity().createServicePrincipal(text(b, "applicationId"), text(b, "displayName"))));
        });
        app.get(SCIM + "/ServicePrincipals/{id}", ctx -> ctx.json(sp(cp.identity().servicePrincipal(ctx.pathParam("id"))
                .orElseThrow(() -> ApiException.notFound("service principal", ctx.pathParam("id"))))));
        app.delete(SCIM + "/ServicePrincipals/{id}", ctx -> {
            admin(ctx, "delete service principals");
            cp.identity().deleteServicePrincipal(ctx.pathParam("id"));
            ctx.status(204);
        });

        app.get(SCIM + "/Groups", ctx -> ctx.json(listResponse(cp.identity().groups().stream().map(this::group).toList())));
        app.post(SCIM + "/Groups", ctx -> {
            admin(ctx, "create groups");
            JsonNode b = body(ctx);
            ctx.status(201).json(group(cp.identity().createGroup(text(b, "displayName"), memberIds(b.path("members")))));
        });
        app.get(SCIM + "/Groups/{id}", ctx -> ctx.json(group(cp.identity().group(ctx.pathParam("id"))
                .orElseThrow(() -> ApiException.notFound("group", ctx.pathParam("id"))))));
        app.patch(SCIM + "/Groups/{id}", ctx -> {
            admin(ctx, "change groups");
            List<String> add = new ArrayList<>();
            List<String> remove = new ArrayList<>();
            for (JsonNode op : body(ctx).path("Operations")) {
                String kind = op.path("op").asText().toLowerCase(java.util.Locale.ROOT);
                String path = op.path("path").asText("members");
                if (path.startsWith("members[value eq \"")) {
                    if (path.length() < 21 || !path.endsWith("\"]")) {
                        throw ApiException.invalid("A member path looks like members[value eq \"<id>\"], got '" + path + "'.");
                    }
                    remove.add(path.substring(18, path.length() - 2));
                } else if (kind.equals("add")) {
                    add.addAll(memberIds(op.path("value")));
                } else if (kind.equals("remove")) {
                    remove.addAll(memberIds(op.path("value")));
                } else {
                    throw ApiException.invalid("Group patches support op add/remove on members, got '" + kind + "'.");
                }
            }
            ctx.json(group(cp.identity().changeMembers(ctx.pathParam("id"), add, remove)));
        });
        app.delete(SCIM + "/Groups/{id}", ctx -> {
            admin(ctx, "delete groups");
            cp.identity().deleteGroup(ctx.pathParam("id"));
            ctx.status(204);
        });

        app.post("/api/2.0/token/create", ctx -> {
            JsonNode b = body(ctx);
            var created = cp.identity().createToken(caller(ctx).id(), lifetimeSeconds(b),
                    text(b, "comment"));
            ObjectNode out = mapper.createObjectNode();
            out.put("token_value", created.value());
            out.set("token_info", tokenInfo(created.info()));
            ctx.json(out);
        });
        app.get("/api/2.0/token/list", ctx -> {
            ObjectNode out = mapper.createObjectNode();
            ArrayNode infos = out.putArray("token_infos");
            cp.identity().tokens(caller(ctx).id()).forEach(t -> infos.add(tokenInfo(t)));
            ctx.json(out);
        });
        app.post("/api/2.0/token/delete", ctx -> {
            cp.identity().revokeToken(caller(ctx), text(body(ctx), "token_id"));
            ctx.json(mapper.createObjectNode());
        });
        app.post("/api/2.0/token-management/on-behalf-of/tokens", ctx -> {
            admin(ctx, "create tokens for other identities");
            JsonNode b = body(ctx);
            String appId = text(b, "application_id");
            String userName = text(b, "user_name");
            // Oxbow extension: user_name lets an admin hand a first token to a user (there is no interactive login)
            String ownerId = userName != null
                    ? cp.identity().userByName(userName).orElseThrow(() -> ApiException.notFound("user", userName)).id()
                    : cp.identity().servicePrincipalByApplicationId(appId == null ? "" : appId)
                            .orElseThrow(() -> ApiException.notFound("service principal", String.valueOf(appId))).id();
            var created = cp.identity().createToken(ownerId, lifetimeSeconds(b),
                    text(b, "comment"));
            ObjectNode out = mapper.createObjectNode();
            out.put("token_value", created.value());
            out.set("token_info", tokenInfo(created.info()));
            ctx.json(out);
        });

        app.get("/api/2.0/permissions/database-projects/{project}", ctx -> ctx.json(permissions(project(ctx, false))));
        app.patch("/api/2.0/permissions/database-projects/{project}", ctx -> ctx.json(grant(ctx, false)));
        app.put("/api/2.0/permissions/database-projects/{project}", ctx -> ctx.json(grant(ctx, true)));

        app.get("/api/2.0/permissions/oxbow-catalogs/{catalog}", ctx -> ctx.json(catalogPermissions(catalog(ctx))));
        app.patch("/api/2.0/permissions/oxbow-catalogs/{catalog}", ctx -> ctx.json(grantCatalog(ctx, false)));
        app.put("/api/2.0/permissions/oxbow-catalogs/{catalog}", ctx -> ctx.json(grantCatalog(ctx, true)));

        app.get("/api/2.0/oxbow/audit-events", this::audit);
    }

    private Principal caller(Context ctx) {
        return ctx.attribute(callerKey);
    }

    private void admin(Context ctx, String what) {
        cp.access().requireAdmin(caller(ctx), what);
    }

    private Project project(Context ctx, boolean manage) {
        String name = Project.nameOf(ctx.pathParam("project"));
        Project p = cp.projects().find(name).filter(x -> !x.deleted()).orElseThrow(() -> ApiException.notFound("project", name));
        if (manage) {
            cp.access().requireManage(caller(ctx), p);
        } else {
            cp.access().requireUse(caller(ctx), p);
        }
        return p;
    }

    private ObjectNode grant(Context ctx, boolean replace) {
        Project p = project(ctx, true);
        List<Permission> grants = new ArrayList<>();
        JsonNode acl = body(ctx).path("access_control_list");
        if (!acl.isMissingNode() && !acl.isNull() && !acl.isArray()) {
            throw ApiException.invalid("Field access_control_list must be a list of {user_name | service_principal_name | group_name, permission_level}.");
        }
        for (JsonNode entry : acl) {
            String level = entry.path("permission_level").asText();
            if (!LEVELS.contains(level)) {
                throw ApiException.invalid("permission_level must be CAN_USE or CAN_MANAGE, got '" + level + "'.");
            }
            if (entry.hasNonNull("user_name")) {
                String name = entry.get("user_name").asText();
                grants.add(new Permission(p.projectId(), Principal.USER, name, level));
            } else if (entry.hasNonNull("service_principal_name")) {
                String appId = entry.get("service_principal_name").asText();
                grants.add(new Permission(p.projectId(), Principal.SERVICE_PRINCIPAL, appId, level));
            } else if (entry.hasNonNull("group_name")) {
                String group = entry.get("group_name").asText();
                grants.add(new Permission(p.projectId(), Principal.GROUP, group, level));
            } else {
                throw ApiException.invalid("Each access_control_list entry needs user_name, service_principal_name or group_name.");
            }
        }
        cp.permissions().grantOnProject(p.projectId(), grants, replace);
        return permissions(p);
    }

    /** A configured source catalog of synced tables; only admins see and change who may sync from it. */
    private String catalog(Context ctx) {
        admin(ctx, "see or change who may sync from a catalog");
        String catalog = ctx.pathParam("catalog");
        if (!cp.config().sync().catalogs().containsKey(catalog)) {
            throw ApiException.notFound("catalog", catalog);
        }
        return catalog;
    }

    /** Grants CAN_USE on a catalog (sync from its tables), in the access_control_list shape of project permissions. */
    private ObjectNode grantCatalog(Context ctx, boolean replace) {
        String catalog = catalog(ctx);
        List<CatalogPermission> grants = new ArrayList<>();
        for (JsonNode entry : body(ctx).path("access_control_list")) {
            String level = entry.path("permission_level").asText();
            if (!level.equals("CAN_USE") && !level.equals("CAN_MANAGE")) {
                throw ApiException.invalid("permission_level on a catalog must be CAN_USE (sync from it) or CAN_MANAGE (also write change feeds into it), got '" + level + "'.");
            }
            if (entry.hasNonNull("user_name")) {
                String name = entry.get("user_name").asText();
                grants.add(new CatalogPermission(catalog, Principal.USER, name, level));
            } else if (entry.hasNonNull("service_principal_name")) {
                String appId = entry.get("service_principal_name").asText();
                grants.add(new CatalogPermission(catalog, Principal.SERVICE_PRINCIPAL, appId, level));
            } else if (entry.hasNonNull("group_name")) {
                String group = entry.get("group_name").asText();
                grants.add(new CatalogPermission(catalog, Principal.GROUP, group, level));
            } else {
                throw ApiException.invalid("Each access_control_list entry needs user_name, service_principal_name or group_name.");
            }
        }
        cp.permissions().grantOnCatalog(catalog, grants, replace);
        return catalogPermissions(catalog);
    }

    private ObjectNode catalogPermissions(String catalog) {
        ObjectNode out = mapper.createObjectNode();
        out.put("object_id", "/oxbow-catalogs/" + catalog).put("object_type", "oxbow-catalog");
        ArrayNode acl = out.putArray("access_control_list");
        for (CatalogPermission grant : cp.permissions().catalogGrants(catalog)) {
            aclEntry(acl, grant.principalKind(), grant.principal(), grant.level());
        }
        return out;
    }

    /** One direct grant in the Permissions API's access_control_list shape. */
    private static void aclEntry(ArrayNode acl, String principalKind, String principal, String level) {
        ObjectNode e = acl.addObject();
        e.put(switch (principalKind) {
            case Principal.USER -> "user_name";
            case Principal.SERVICE_PRINCIPAL -> "service_principal_name";
            default -> "group_name";
        }, principal);
        e.putArray("all_permissions").addObject().put("permission_level", level).put("inherited", false);
    }

    private ObjectNode permissions(Project p) {
        ObjectNode out = mapper.createObjectNode();
        out.put("object_id", "/database-projects/" + p.projectId()).put("object_type", "database-project");
        ArrayNode acl = out.putArray("access_control_list");
        if (p.owner() != null) {
            ObjectNode owner = acl.addObject();
            owner.put(p.owner().contains("@") ? "user_name" : "service_principal_name", p.owner());
            owner.putArray("all_permissions").addObject().put("permission_level", "IS_OWNER").put("inherited", false);
        }
        for (Permission grant : cp.permissions().projectGrants(p.projectId())) {
            aclEntry(acl, grant.principalKind(), grant.principal(), grant.level());
        }
        return out;
    }

    private void audit(Context ctx) {
        Principal caller = caller(ctx);
        String resource = ctx.queryParam("resource");
        java.time.Instant since = null;
        if (!caller.admin()) {
            String[] parts = resource == null ? new String[0] : resource.split("/", -1);
            if (parts.length < 2 || !parts[0].equals("projects") || parts[1].isEmpty()) {
                throw new ApiException(403, "PERMISSION_DENIED", "Only admins can read the whole audit log; pass resource=projects/<id> for a project you manage.");
            }
            Project p = cp.projects().find(Project.nameOf(parts[1])).orElseThrow(() -> ApiException.notFound("project", resource));
            cp.access().requireManage(caller, p);
            // a project id can be reused after a purge: what happened to its predecessor is not the new owner's to read
            since = p.createTime();
        }
        int size;
        long before;
        try {
            size = ctx.queryParam("page_size") == null ? 100 : Math.min(1000, Math.max(1, Integer.parseInt(ctx.queryParam("page_size"))));
            before = ctx.queryParam("page_token") == null ? 0 : Long.parseLong(ctx.queryParam("page_token"));
        } catch (NumberFormatException e) {
            throw ApiException.invalid("page_size and page_token must be numbers (pass the next_page_token you were given).");
        }
        List<AuditEvent> events = cp.audit().page(before, size, resource, since);
        ObjectNode out = mapper.createObjectNode();
        ArrayNode list = out.putArray("events");
        for (AuditEvent e : events) {
            ObjectNode n = list.addObject();
            n.put("time", Wire.timestamp(e.time())).put("actor", e.actor()).put("action", e.action()).put("resource", e.resource())
                    .put("outcome", e.outcome());
            if (e.remote() != null) {
                n.put("remote", e.remote());
            }
            if (e.detail() != null) {
                n.put("detail", e.detail());
            }
        }
        if (events.size() == size) {
            out.put("next_page_token", Long.toString(events.get(events.size() - 1).seq()));
        }
        ctx.json(out);
    }

    ObjectNode me(Principal p) {
        return p.kind().equals(Principal.USER)
                ? user(cp.identity().user(p.id()).orElseThrow())
                : sp(cp.identity().servicePrincipal(p.id()).orElseThrow()).put("userName", p.name());
    }

    private ObjectNode user(User u) {
        ObjectNode n = mapper.createObjectNode();
        n.put("id", u.id()).put("userName", u.userName()).put("displayName", u.displayName()).put("active", u.active());
        n.putArray("emails").addObject().put("value", u.userName()).put("primary", true).put("type", "work");
        ArrayNode groups = n.putArray("groups");
        if (u.admin()) {
            groups.addObject().put("display", "admins").put("value", "admins");
        }
        cp.identity().groups().stream().filter(g -> g.memberIds().contains(u.id()))
                .forEach(g -> groups.addObject().put("display", g.displayName()).put("value", g.id()));
        n.putArray("schemas").add(USER_SCHEMA).add("urn:ietf:params:scim:schemas:extension:workspace:2.0:User");
        return n;
    }

    private ObjectNode sp(ServicePrincipal sp) {
        ObjectNode n = mapper.createObjectNode();
        n.put("id", sp.id()).put("applicationId", sp.applicationId()).put("displayName", sp.displayName()).put("active", sp.active());
        n.putArray("schemas").add(SP_SCHEMA);
        return n;
    }

    private ObjectNode group(Group g) {
        ObjectNode n = mapper.createObjectNode();
        n.put("id", g.id()).put("displayName", g.displayName());
        ArrayNode members = n.putArray("members");
        for (String id : g.memberIds()) {
            ObjectNode m = members.addObject().put("value", id);
            cp.identity().user(id).ifPresent(u -> m.put("display", u.userName()));
            cp.identity().servicePrincipal(id).ifPresent(s -> m.put("display", s.displayName()));
        }
        n.putArray("schemas").add(GROUP_SCHEMA);
        return n;
    }

    private ObjectNode listResponse(List<ObjectNode> resources) {
        ObjectNode n = mapper.createObjectNode();
        n.put("totalResults", resources.size()).put("startIndex", 1).put("itemsPerPage", resources.size());
        n.putArray("schemas").add("urn:ietf:params:scim:api:messages:2.0:ListResponse");
        n.putArray("Resources").addAll(resources);
        return n;
    }

    private ObjectNode tokenInfo(AccessToken t) {
        ObjectNode n = mapper.createObjectNode();
        n.put("token_id", t.id()).put("creation_time", t.createTime().toEpochMilli())
                .put("expiry_time", t.expireTime() == null ? -1 : t.expireTime().toEpochMilli());
        if (t.comment() != null) {
            n.put("comment", t.comment());
        }
        return n;
    }

    private static List<String> memberIds(JsonNode members) {
        if (members.isValueNode() && !members.isNull()) {
            throw ApiException.invalid("Field members must be a list of {\"value\": \"<id>\"}.");
        }
        List<String> ids = new ArrayList<>();
        for (JsonNode m : members) {
            ids.add(m.path("value").asText());
        }
        return ids;
    }

    private JsonNode body(Context ctx) {
        try {
            return ctx.body().isBlank() ? mapper.createObjectNode() : mapper.readTree(ctx.body());
        } catch (Exception e) {
            throw ApiException.invalid("The request body is not valid JSON.");
        }
    }

    private static String text(JsonNode b, String field) {
        JsonNode n = b.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isTextual()) {
            throw ApiException.invalid("Field " + field + " must be a string.");
        }
        return n.asText().isEmpty() ? null : n.asText();
    }

    /**
     * Whole seconds, as a JSON number or a string of digits; absent or 0 means the token never expires.
     * Anything else is refused: read leniently, a typo would silently make a token that never expires.
     */
    static Long lifetimeSeconds(JsonNode b) {
        JsonNode n = b.get("lifetime_seconds");
        if (n == null || n.isNull()) {
            return null;
        }
        java.math.BigInteger v;
        if (n.isIntegralNumber()) {
            v = n.bigIntegerValue();
        } else if (n.isTextual() && n.asText().strip().matches("-?\\d{1,20}")) {
            v = new java.math.BigInteger(n.asText().strip());
        } else {
            throw ApiException.invalid("Field lifetime_seconds must be a whole number of seconds, got " + n + ".");
        }
        if (v.signum() < 0 || v.compareTo(java.math.BigInteger.valueOf(Wire.MAX_DURATION_SECONDS)) > 0) {
            throw ApiException.invalid("Field lifetime_seconds must be between 0 (never expires) and " + Wire.MAX_DURATION_SECONDS
                    + ", got " + n + ".");
        }
        return v.longValue();
    }

}
