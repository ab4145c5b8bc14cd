package dev.oxbow.mcp;

import dev.oxbow.client.Branch;
import dev.oxbow.client.Catalog;
import dev.oxbow.client.DatabaseCredential;
import dev.oxbow.client.Endpoint;
import dev.oxbow.client.Operation;
import dev.oxbow.client.OxbowClient;
import dev.oxbow.client.OxbowException;
import dev.oxbow.client.Postgres;
import dev.oxbow.client.Project;
import dev.oxbow.client.SyncedTable;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.server.McpServerFeatures.SyncToolSpecification;
import io.modelcontextprotocol.spec.McpSchema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The Lakebase MCP tools of the reference (lakebase.md §9) over the Oxbow SDK, with the behaviour the reference
 * intended rather than its bugs (§13.13): true upserts, {@code expire_time} on credentials, scale_to_zero_seconds=0
 * meaning "never suspend", compute updates on the branch's read-write endpoint, bare source_branch ids normalised.
 * Oxbow is Lakebase Autoscaling: "provisioned" instances are answered with a clear error.
 */
final class LakebaseTools {
    private static final Logger log = LoggerFactory.getLogger(LakebaseTools.class);
    private static final Duration WAIT = Duration.ofMinutes(5);
    /** The initial load is waited for within the 120 s agents give the manage tools (§9.9); longer loads report their progress state. */
    private static final Duration INITIAL_LOAD_WAIT = Duration.ofSeconds(100);
    static final String CREDENTIAL_MESSAGE = "Token generated. Valid for ~1 hour. Use as password with sslmode=require.";

    private final Postgres api;
    private final java.util.concurrent.atomic.AtomicInteger running = new java.util.concurrent.atomic.AtomicInteger();
    private final Map<String, Map<String, Object>> schemas = new LinkedHashMap<>();
    private final Map<String, String> descriptions = new LinkedHashMap<>();
    private final Map<String, Function<Args, Map<String, Object>>> handlers = new LinkedHashMap<>();

    LakebaseTools(OxbowClient client) {
        this.api = client.postgres();
        register("create_or_update_lakebase_database", "Create a Lakebase database (project) or update its display name.",
                databaseSchema(new ToolSchema().required("name", "string", "Project id, e.g. my-app (or projects/my-app).")),
                this::createOrUpdateDatabase);
        register("get_lakebase_database", "Get a Lakebase database with its branches and endpoints, or list all databases when no name is given.",
                new ToolSchema().optional("name", "string", null, "Project id or name; omit to list all.")
                        .optional("type", "string", null, "provisioned or autoscale; omit to try both."), this::getDatabase);
        register("delete_lakebase_database", "Delete a Lakebase database (project) with all its branches, endpoints and data.",
                new ToolSchema().required("name", "string", "Project id or name.")
                        .optional("type", "string", "provisioned", "provisioned or autoscale.")
                        .optional("force", "boolean", false, "Provisioned only: also delete child instances."), this::deleteDatabase);
        register("create_or_update_lakebase_branch", "Create a branch with its compute, or update its protection, expiry and compute size.",
                branchSchema(new ToolSchema()), this::createOrUpdateBranch);
        register("delete_lakebase_branch", "Delete a branch (full name projects/x/branches/y) with its computes, databases and roles.",
                new ToolSchema().required("name", "string", "Branch name, projects/x/branches/y."), this::deleteBranch);
        register("create_or_update_lakebase_sync", "Sync a Delta table into a Postgres table (reverse ETL) unless that synced table exists; "
                        + "waits for the initial load and reports the state reached.",
                syncSchema(new ToolSchema()), this::createOrUpdateSync);
        register("delete_lakebase_sync", "Delete a synced table; the source Delta table stays, and the Postgres table too unless purge_data.",
                new ToolSchema().required("table_name", "string", "Synced (target) table, catalog.schema.table.")
                        .optional("catalog_name", "string", null, "Catalog whose registration to delete as well (its database stays).")
                        .optional("purge_data", "boolean", false, "Also drop the Postgres table."), this::deleteSync);
        register("generate_lakebase_credential", "Mint a 1-hour Postgres password (OAuth token) for an endpoint.",
                new ToolSchema().optional("instance_names", "string[]", null, "Provisioned instances; in Oxbow, project ids (their default branch's read-write endpoint).")
                        .optional("endpoint", "string", null, "Endpoint name, projects/x/branches/y/endpoints/z."), this::generateCredential);
        // the later four-tool surface (lakebase.md §9.9) as aliases over the same behaviour
        register("manage_lakebase_database", "Create/update, get, list or delete Lakebase databases (action).",
                databaseSchema(new ToolSchema().required("action", "string", "create_or_update, get, list or delete.")
                        .optional("name", "string", null, "Project id or name.")
                        .optional("force", "boolean", false, "Provisioned delete only.")), this::manageDatabase);
        register("manage_lakebase_branch", "Create/update or delete a branch (action).",
                branchSchema(new ToolSchema().required("action", "string", "create_or_update or delete.")
                        .optional("name", "string", null, "Branch name for delete.")), this::manageBranch);
        register("manage_lakebase_sync", "Create/update or delete a synced table (action).",
                syncSchema(new ToolSchema().required("action", "string", "create_or_update or delete.")
                        .optional("table_name", "string", null, "Synced table for delete.")
                        .optional("purge_data", "boolean", false, "Delete: also drop the Postgres table.")), this::manageSync);
    }

    List<SyncToolSpecification> specifications(McpJsonMapper json) {
        List<SyncToolSpecification> specs = new ArrayList<>();
        handlers.forEach((name, handler) -> specs.add(SyncToolSpecification.builder()
                .tool(McpSchema.Tool.builder().name(name).description(descriptions.get(name)).inputSchema(schemas.get(name)).build())
                .callHandler((exchange, request) -> {
                    running.incrementAndGet();
                    try {
                        return run(json, name, handler, new Args(request.arguments()));
                    } finally {
                        running.decrementAndGet();
                    }
                })
                .build()));
        return specs;
    }

    /** Tool calls still running (a client that closes stdin right after a call still gets its answer). */
    int running() {
        return running.get();
    }

    /** Runs one tool: its dict as JSON text and structured content; failures the reference raises come back with isError. */
    private static McpSchema.CallToolResult run(McpJsonMapper json, String tool, Function<Args, Map<String, Object>> handler, Args args) {
        Map<String, Object> result;
        boolean failed = false;
        try {
            result = handler.apply(args);
        } catch (OxbowException | IllegalArgumentException e) {
            log.warn("tool {} failed: {}", tool, e.getMessage());
            result = Map.of("error", e.getMessage());
            failed = true;
        } catch (RuntimeException e) {
            log.error("tool {} failed", tool, e);
            result = Map.of("error", String.valueOf(e.getMessage()));
            failed = true;
        }
        try {
            return McpSchema.CallToolResult.builder().addTextContent(json.writeValueAsString(result)).structuredContent(result)
                    .isError(failed).build();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private void register(String name, String description, ToolSchema schema, Function<Args, Map<String, Object>> handler) {
        descriptions.put(name, description);
        schemas.put(name, schema.toMap());
        handlers.put(name, handler);
    }

    // ---- schemas shared by a tool and its manage_* alias

    private static ToolSchema databaseSchema(ToolSchema s) {
        return s.optional("type", "string", "provisioned", "provisioned or autoscale (Oxbow serves autoscale).")
                .optional("capacity", "string", "CU_1", "Provisioned only.")
                .optional("stopped", "boolean", false, "Provisioned only.")
                .optional("display_name", "string", null, "Autoscale: display name (defaults to the name).")
                .optional("pg_version", "string", "17", "Autoscale: 16 or 17.");
    }

    private static ToolSchema branchSchema(ToolSchema s) {
        return s.optional("project_name", "string", null, "Project, my-app or projects/my-app.")
                .optional("branch_id", "string", null, "Branch id.")
                .optional("source_branch", "string", null, "Branch to fork (id or name; default: the project's default branch).")
                .optional("ttl_seconds", "integer", null, "Expire after this many seconds (max 2592000).")
                .optional("no_expiry", "boolean", false, "Never expire.")
                .optional("is_protected", "boolean", null, "Protect the branch.")
                .optional("endpoint_type", "string", Endpoint.READ_WRITE, "Compute type.")
                .optional("autoscaling_limit_min_cu", "number", null, "Minimum CU (0.5–32).")
                .optional("autoscaling_limit_max_cu", "number", null, "Maximum CU (0.5–112).")
                .optional("scale_to_zero_seconds", "integer", null, "Suspend after this many idle seconds; 0 disables scale-to-zero.");
    }

    private static ToolSchema syncSchema(ToolSchema s) {
        return s.optional("instance_name", "string", null, "Where to sync: a branch (projects/x/branches/y) or a project (its default branch).")
                .optional("source_table_name", "string", null, "Delta source table: catalog.schema.table of a catalog the server serves (--catalog), or a path.")
                .optional("target_table_name", "string", null, "Synced table to create, catalog.schema.table; lands as \"schema\".\"table\" in Postgres.")
                .optional("catalog_name", "string", null, "Catalog of the target: registered for the instance's database_name when missing; defaults to the first part of target_table_name. On delete: its registration is removed too.")
                .optional("database_name", "string", "databricks_postgres", "Postgres database on the branch.")
                .optional("primary_key_columns", "string[]", null, "Primary key columns (required to create: Delta tables carry none).")
                .optional("scheduling_policy", "string", "TRIGGERED", "TRIGGERED, SNAPSHOT or CONTINUOUS.");
    }

    // ---- databases (projects)

    private static String projectName(String name) {
        return name.startsWith("projects/") ? name : "projects/" + name;
    }

    private static Map<String, Object> invalidType(String type) {
        return map("error", "Invalid type '" + type + "'. Use 'provisioned' or 'autoscale'.");
    }

    private static Map<String, Object> provisionedUnsupported(String name) {
        return map("name", name, "error", "Lakebase Provisioned instances are not available in Oxbow; use type='autoscale' (projects).");
    }

    /**
     * Runs {@code then} with the project's full name when the call is for type autoscale; otherwise the reference's
     * answer: an invalid type, or provisioned (the default) unsupported.
     */
    private static Map<String, Object> forAutoscaleProject(Args a, BiFunction<Args, String, Map<String, Object>> then) {
        String name = a.require("name");
        String type = a.string("type", "provisioned").toLowerCase();
        if (!type.equals("provisioned") && !type.equals("autoscale")) {
            return invalidType(type);
        }
        return type.equals("provisioned") ? provisionedUnsupported(name) : then.apply(a, projectName(name));
    }

    private Map<String, Object> createOrUpdateDatabase(Args a) {
        return forAutoscaleProject(a, this::createOrUpdateProject);
    }

    private Map<String, Object> createOrUpdateProject(Args a, String full) {
        String id = full.substring("projects/".length());
        String displayName = a.string("display_name");
        if (exists(() -> api.getProject(full))) {
            if (displayName == null) {
                return map("name", full, "status", "NO_CHANGES", "error", "No fields specified for update", "created", false, "type", "autoscale");
            }
            Project p = api.updateProject(full, Project.of(Project.Spec.displayName(displayName)), "spec.display_name").waitFor(WAIT);
            log.info("mcp: updated project {}", full);
            return map("name", full, "status", "UPDATED", "display_name", p.status() == null ? displayName : p.status().displayName(),
                    "created", false, "type", "autoscale");
        }
        String pgVersion = a.string("pg_version", "17");
        if (!pgVersion.matches("\\d+")) {
            throw new IllegalArgumentException("Invalid pg_version '" + pgVersion + "': use \"16\" or \"17\".");
        }
        Project.Spec spec = new Project.Spec(displayName != null ? displayName : id, Integer.parseInt(pgVersion), null, null, null, null, null, null);
        try {
            Project p = api.createProject(id, Project.of(spec)).waitFor(WAIT);
            log.info("mcp: created project {}", full);
            return map("name", p.name(), "display_name", p.status().displayName(), "pg_version", String.valueOf(p.status().pgVersion()),
                    "status", "CREATED", "created", true, "type", "autoscale");
        } catch (OxbowException.AlreadyExists e) {
            return map("name", full, "status", "ALREADY_EXISTS", "error", "Project '" + id + "' already exists");
        }
    }

    private Map<String, Object> getDatabase(Args a) {
        String name = a.string("name");
        String type = a.string("type") == null ? null : a.string("type").toLowerCase();
        if (type != null && !type.equals("provisioned") && !type.equals("autoscale")) {
            return invalidType(type);
        }
        if (name == null) {
            List<Map<String, Object>> all = new ArrayList<>();
            if (!"provisioned".equals(type)) {
                try {
                    api.listProjects(false).forEach(p -> all.add(projectSummary(p)));
                } catch (OxbowException e) {
                    log.warn("mcp: listing projects failed: {}", e.getMessage());
                }
            }
            return map("databases", all);
        }
        if ("provisioned".equals(type)) {
            return map("error", "Database '" + name + "' not found.");
        }
        Project p;
        try {
            p = api.getProject(projectName(name));
        } catch (OxbowException.NotFound e) {
            return map("error", "Database '" + name + "' not found.");
        }
        Map<String, Object> out = projectSummary(p);
        List<Map<String, Object>> branches = new ArrayList<>();
        for (Branch b : api.listBranches(p.name(), false)) {
            Map<String, Object> branch = branchSummary(b);
            List<Map<String, Object>> endpoints = new ArrayList<>();
            api.listEndpoints(b.name()).forEach(e -> endpoints.add(endpointSummary(e)));
            branch.put("endpoints", endpoints);
            branches.add(branch);
        }
        out.put("branches", branches);
        return out;
    }

    private Map<String, Object> deleteDatabase(Args a) {
        return forAutoscaleProject(a, (args, full) -> purge("Project", full, () -> api.deleteProject(full, true)));
    }

    private static Map<String, Object> projectSummary(Project p) {
        Project.Status s = p.status();
        return map("name", p.name(), "display_name", s == null ? null : s.displayName(),
                "pg_version", s == null || s.pgVersion() == null ? null : String.valueOf(s.pgVersion()),
                "owner", s == null ? null : s.owner(), "type", "autoscale");
    }

    // ---- branches

    private Map<String, Object> createOrUpdateBranch(Args a) {
        String project = projectName(a.require("project_name"));
        String branchId = a.require("branch_id");
        List<Branch> branches = api.listBranches(project, false).toList();
        Branch existing = branches.stream().filter(b -> b.name().endsWith("/branches/" + branchId)).findFirst().orElse(null);
        return existing == null ? createBranch(a, project, branchId, branches) : updateBranch(a, existing);
    }

    private Map<String, Object> createBranch(Args a, String project, String branchId, List<Branch> branches) {
        String source = a.string("source_branch");
        if (source == null) {
            source = branches.stream().filter(b -> b.status() != null && Boolean.TRUE.equals(b.status().isDefault())).map(Branch::name)
                    .findFirst().orElse(branches.isEmpty() ? null : branches.getFirst().name());
            if (source == null) {
                throw new IllegalArgumentException("No branches found in project '" + project + "' to fork from");
            }
        } else if (!source.contains("/")) {
            source = project + "/branches/" + source;
        }
        Long ttl = a.integer("ttl_seconds");
        Branch.Spec spec = new Branch.Spec(source, null, null, a.bool("is_protected"), ttl == null ? null : ttl + "s", null,
                ttl == null ? Boolean.TRUE : null);
        Branch created;
        try {
            created = api.createBranch(project, branchId, Branch.of(spec), false).waitFor(WAIT);
        } catch (OxbowException.AlreadyExists e) {
            return map("name", project + "/branches/" + branchId, "status", "ALREADY_EXISTS", "error", "Branch '" + branchId + "' already exists");
        }
        log.info("mcp: created branch {}", created.name());
        Map<String, Object> out = branchSummary(created);
        out.put("status", "CREATED");
        out.put("created", true);
        try {
            out.put("endpoint", ensureCompute(a, created.name(), branchId));
        } catch (OxbowException e) {
            log.warn("mcp: compute for branch {} failed: {}", created.name(), e.getMessage());
        }
        return out;
    }

    /**
     * The reference creates "{branch_id}-ep" because branches once came without compute; Oxbow gives every new
     * branch a read-write "primary", so a read-write request sizes that one, and other types get "{branch_id}-ep".
     */
    private Map<String, Object> ensureCompute(Args a, String branch, String branchId) {
        String type = a.string("endpoint_type", Endpoint.READ_WRITE);
        Endpoint same = endpointOfType(branch, type).orElse(null);
        Endpoint ep;
        if (same != null) {
            ep = computeChange(a) == null ? same : resize(a, same);
        } else {
            ep = api.createEndpoint(branch, branchId + "-ep", Endpoint.of(computeSpec(type, a)), false).waitFor(WAIT);
            log.info("mcp: created endpoint {}", ep.name());
        }
        Map<String, Object> out = endpointSummary(ep);
        out.put("status", "CREATED");
        return out;
    }

    private Map<String, Object> updateBranch(Args a, Branch existing) {
        List<String> mask = new ArrayList<>();
        Boolean isProtected = a.bool("is_protected");
        Long ttl = a.integer("ttl_seconds");
        boolean noExpiry = a.bool("no_expiry", false);
        if (isProtected != null) {
            mask.add("spec.is_protected");
        }
        if (ttl != null || noExpiry) {
            mask.add("spec.expiration");
        }
        Map<String, Object> out = map("name", existing.name());
        Branch updated = existing;
        if (!mask.isEmpty()) {
            Branch.Spec spec = new Branch.Spec(null, null, null, isProtected, ttl == null ? null : ttl + "s", null, ttl == null && noExpiry ? true : null);
            updated = api.updateBranch(existing.name(), Branch.of(spec), String.join(",", mask)).waitFor(WAIT);
            log.info("mcp: updated branch {} ({})", existing.name(), mask);
        }
        Map<String, Object> endpoint = null;
        if (computeChange(a) != null) {
            String type = a.string("endpoint_type", Endpoint.READ_WRITE);
            Endpoint target = endpointOfType(existing.name(), type)
                    .orElseThrow(() -> new IllegalArgumentException("Branch '" + existing.name() + "' has no " + type + " endpoint to update"));
            Endpoint resized = resize(a, target);
            endpoint = map("name", resized.name(), "status", "UPDATED");
            if (resized.status() != null) {
                endpoint.put("min_cu", resized.status().autoscalingLimitMinCu());
                endpoint.put("max_cu", resized.status().autoscalingLimitMaxCu());
                endpoint.put("state", resized.status().currentState());
            }
        }
        out.put("status", mask.isEmpty() && endpoint == null ? "NO_CHANGES" : "UPDATED");
        if (isProtected != null && updated.status() != null) {
            out.put("is_protected", updated.status().isProtected());
        }
        if (updated.status() != null && updated.status().expireTime() != null) {
            out.put("expire_time", updated.status().expireTime().toString());
        }
        out.put("created", false);
        if (endpoint != null) {
            out.put("endpoint", endpoint);
        }
        return out;
    }

    /** The update mask of the compute parameters given, or null when none is. */
    private static String computeChange(Args a) {
        List<String> mask = new ArrayList<>();
        if (a.number("autoscaling_limit_min_cu") != null) {
            mask.add("spec.autoscaling_limit_min_cu");
        }
        if (a.number("autoscaling_limit_max_cu") != null) {
            mask.add("spec.autoscaling_limit_max_cu");
        }
        if (a.integer("scale_to_zero_seconds") != null) {
            mask.add("spec.suspension");
        }
        return mask.isEmpty() ? null : String.join(",", mask);
    }

    private Endpoint resize(Args a, Endpoint target) {
        Endpoint resized = api.updateEndpoint(target.name(), Endpoint.of(computeSpec(null, a)), computeChange(a)).waitFor(WAIT);
        log.info("mcp: updated endpoint {}", target.name());
        return resized;
    }

    /** The first endpoint of {@code type} on {@code branch}. */
    private Optional<Endpoint> endpointOfType(String branch, String type) {
        return api.listEndpoints(branch).stream().filter(e -> e.status() != null && type.equals(e.status().endpointType())).findFirst();
    }

    /** The compute parameters given, as an endpoint spec ({@code type} null for updates). */
    private static Endpoint.Spec computeSpec(String type, Args a) {
        return new Endpoint.Spec(type, a.number("autoscaling_limit_min_cu"), a.number("autoscaling_limit_max_cu"),
                suspendTimeout(a), noSuspension(a), null, null, null);
    }

    /** scale_to_zero_seconds: 0 means never suspend (the reference sent "0s", a bug), otherwise the idle timeout. */
    private static String suspendTimeout(Args a) {
        Long s = a.integer("scale_to_zero_seconds");
        return s == null || s == 0 ? null : s + "s";
    }

    private static Boolean noSuspension(Args a) {
        Long s = a.integer("scale_to_zero_seconds");
        return s != null && s == 0 ? Boolean.TRUE : null;
    }

    private Map<String, Object> deleteBranch(Args a) {
        String name = a.require("name");
        return purge("Branch", name, () -> api.deleteBranch(name, true));
    }

    /** Runs a permanent delete of the {@code kind} {@code name} to its end: "deleted", or the reference's NOT_FOUND dict. */
    private static Map<String, Object> purge(String kind, String name, Supplier<Operation<?>> delete) {
        try {
            delete.get().waitFor(WAIT);
        } catch (OxbowException.NotFound e) {
            return map("name", name, "status", "NOT_FOUND", "error", kind + " '" + name + "' not found");
        }
        log.info("mcp: deleted {} {}", kind.toLowerCase(), name);
        return map("name", name, "status", "deleted");
    }

    private static Map<String, Object> branchSummary(Branch b) {
        Branch.Status s = b.status();
        Map<String, Object> out = map("name", b.name());
        if (s != null) {
            out.put("state", s.currentState());
            out.put("is_default", Boolean.TRUE.equals(s.isDefault()));
            out.put("is_protected", Boolean.TRUE.equals(s.isProtected()));
            if (s.expireTime() != null) {
                out.put("expire_time", s.expireTime().toString());
            }
            if (s.logicalSizeBytes() != null) {
                out.put("logical_size_bytes", s.logicalSizeBytes());
            }
        }
        return out;
    }

    private static Map<String, Object> endpointSummary(Endpoint e) {
        Endpoint.Status s = e.status();
        Map<String, Object> out = map("name", e.name());
        if (s != null) {
            out.put("state", s.currentState());
            out.put("endpoint_type", s.endpointType());
            out.put("min_cu", s.autoscalingLimitMinCu());
            out.put("max_cu", s.autoscalingLimitMaxCu());
            out.put("host", s.hosts() == null ? null : s.hosts().host());
        }
        return out;
    }

    // ---- synced tables

    /**
     * As ai-dev-kit's sync tool: makes sure the target's catalog is registered (a Postgres catalog for the instance's
     * branch and {@code database_name}), then creates {@code synced_tables/<target>} from the Delta {@code source} in it
     * and waits for the initial load, reporting the state reached (ONLINE_*, OFFLINE_FAILED with the reason, or still
     * PROVISIONING when the wait ran out). Answers {catalog, synced_table, created}. There is no update in the API: an
     * existing synced table is reported as it is.
     */
    private Map<String, Object> createOrUpdateSync(Args a) {
        String instance = a.require("instance_name");
        String source = a.require("source_table_name");
        String target = a.require("target_table_name");
        String policy = a.string("scheduling_policy", "TRIGGERED").toUpperCase();
        if (!List.of("TRIGGERED", "SNAPSHOT", "CONTINUOUS").contains(policy)) {
            throw new IllegalArgumentException("Invalid scheduling_policy '" + policy + "'. Use TRIGGERED, SNAPSHOT or CONTINUOUS.");
        }
        if (target.split("\\.", -1).length != 3) {
            throw new IllegalArgumentException("target_table_name must be catalog.schema.table, got '" + target + "'.");
        }
        String catalogName = a.string("catalog_name", target.split("\\.")[0]);
        if (!catalogName.equals(target.split("\\.")[0])) {
            throw new IllegalArgumentException("catalog_name '" + catalogName + "' is not the catalog of target_table_name '" + target
                    + "'; leave catalog_name out or make them agree.");
        }
        List<String> keys = a.strings("primary_key_columns");
        String database = a.string("database_name", "databricks_postgres");
        SyncedTable existing = existingSyncedTable(target);
        if (existing != null) {
            Map<String, Object> summary = syncSummary(existing, instance);
            String differs = differences(existing.spec(), source, keys, policy);
            if (differs != null) {
                summary.put("note", "Synced tables cannot be updated; " + differs + " differ from the request. Delete it and create it again to change them.");
            }
            return map("catalog", existingCatalog(catalogName).map(LakebaseTools::catalogSummary).orElse(null), "synced_table", summary, "created", false);
        }
        if (keys == null || keys.isEmpty()) {
            // Delta tables carry no primary key constraint for Oxbow to default to
            throw new IllegalArgumentException("primary_key_columns is required: name the column(s) that identify a row of " + source + ".");
        }
        String branch = branchOf(instance);
        Map<String, Object> catalog;
        Optional<Catalog> registered = existingCatalog(catalogName);
        if (registered.isPresent()) {
            catalog = catalogSummary(registered.get());
        } else {
            try {
                api.createCatalog(catalogName, Catalog.of(new Catalog.Spec(branch, database, null))).waitFor(WAIT);
            } catch (OxbowException e) {
                return map("error", "Failed to create catalog '" + catalogName + "': " + e.getMessage());
            }
            log.info("mcp: registered catalog {} for {}/{}", catalogName, branch, database);
            catalog = map("name", catalogName, "instance_name", instance, "database_name", database, "status", "created",
                    "message", "Catalog '" + catalogName + "' registered for instance '" + instance + "', database '" + database + "'.");
        }
        // the catalog decides where the table lands; the spec leaves branch and database to it
        SyncedTable.Spec spec = new SyncedTable.Spec(source, keys, null, policy, null, null, true, null, null);
        var op = api.createSyncedTable(target, SyncedTable.of(spec));
        log.info("mcp: creating synced table {} from {} in catalog {} ({})", target, source, catalogName, policy);
        String error = null;
        try {
            op.waitFor(INITIAL_LOAD_WAIT);
        } catch (OxbowException.OperationTimeout e) {
            log.info("mcp: synced table {} still loading after {}", target, INITIAL_LOAD_WAIT);
        } catch (OxbowException e) {
            error = e.getMessage();
            log.warn("mcp: synced table {} failed its initial load: {}", target, error);
        }
        SyncedTable created = existingSyncedTable(target);
        if (created == null && error != null) {
            // a refused initial load (duplicate keys, an unreadable source) leaves no synced table behind
            return map("catalog", catalog, "created", false, "error", "Synced table '" + target + "' was not created: " + error);
        }
        Map<String, Object> synced = syncSummary(created != null ? created : api.getSyncedTable(target), instance);
        synced.putIfAbsent("message", "Synced table created. Source: '" + source + "' -> Target: '" + target + "'.");
        Map<String, Object> out = map("catalog", catalog, "synced_table", synced, "created", true);
        if (error != null) {
            out.put("error", "Synced table '" + target + "' was created but its initial load failed: " + error);
        }
        return out;
    }

    private Optional<Catalog> existingCatalog(String name) {
        try {
            return Optional.of(api.getCatalog(name));
        } catch (OxbowException.NotFound e) {
            return Optional.empty();
        }
    }

    /** A registered catalog as ai-dev-kit's get_lakebase_catalog reports it. */
    private static Map<String, Object> catalogSummary(Catalog c) {
        String name = c.name() != null && c.name().startsWith("catalogs/") ? c.name().substring("catalogs/".length()) : c.name();
        Map<String, Object> out = map("name", name);
        if (c.status() != null) {
            out.put("instance_name", c.status().branch());
            out.put("database_name", c.status().postgresDatabase());
        }
        return out;
    }

    private SyncedTable existingSyncedTable(String target) {
        try {
            return api.getSyncedTable(target);
        } catch (OxbowException.NotFound e) {
            return null;
        }
    }

    /** The spec fields of an existing synced table that differ from the request, or null when none does. */
    private static String differences(SyncedTable.Spec spec, String source, List<String> keys, String policy) {
        if (spec == null) {
            return null;
        }
        List<String> differ = new ArrayList<>();
        if (!source.equals(spec.sourceTableFullName())) {
            differ.add("source_table_name");
        }
        if (keys != null && !keys.isEmpty() && !keys.equals(spec.primaryKeyColumns())) {
            differ.add("primary_key_columns");
        }
        if (!policy.equals(spec.schedulingPolicy())) {
            differ.add("scheduling_policy");
        }
        return differ.isEmpty() ? null : String.join(", ", differ);
    }

    /** A branch name, or a project (name or id) meaning its default branch. */
    private String branchOf(String instance) {
        if (instance.contains("/branches/")) {
            return instance;
        }
        Project p = api.getProject(projectName(instance));
        return p.status() != null && p.status().defaultBranch() != null ? p.status().defaultBranch() : p.name() + "/branches/production";
    }

    /** The synced table as the server reports it: where it lands in Postgres and the state its sync reached. */
    private static Map<String, Object> syncSummary(SyncedTable t, String instance) {
        String target = t.name().substring("synced_tables/".length());
        Map<String, Object> out = map("name", t.name(), "table_name", target, "instance_name", instance, "target_table_name", target);
        SyncedTable.Spec spec = t.spec();
        if (spec != null) {
            String[] parts = target.split("\\.");
            out.put("source_table_name", spec.sourceTableFullName());
            out.put("primary_key_columns", spec.primaryKeyColumns());
            out.put("scheduling_policy", spec.schedulingPolicy());
            out.put("branch", spec.branch());
            out.put("database_name", spec.postgresDatabase());
            out.put("postgres_table", "\"" + parts[1] + "\".\"" + parts[2] + "\"");
        }
        SyncedTable.Status s = t.status();
        if (s != null) {
            out.put("status", s.detailedState());
            if (s.message() != null) {
                out.put("message", s.message());
            }
            if (s.lastProcessedCommitVersion() != null) {
                out.put("last_processed_commit_version", s.lastProcessedCommitVersion());
            }
            if (s.lastSyncTime() != null) {
                out.put("last_sync_time", s.lastSyncTime().toString());
            }
        }
        return out;
    }

    private Map<String, Object> deleteSync(Args a) {
        String table = a.require("table_name");
        boolean purge = a.bool("purge_data", false);
        Map<String, Object> synced = map("table_name", table);
        try {
            api.deleteSyncedTable(table, purge).waitFor(WAIT);
            synced.put("status", "deleted");
            synced.put("postgres_table", purge ? "dropped" : "kept");
            log.info("mcp: deleted synced table {} (purge_data={})", table, purge);
        } catch (OxbowException.NotFound e) {
            synced.put("status", "NOT_FOUND");
            synced.put("error", "Synced table '" + table + "' not found");
        }
        Map<String, Object> out = map("synced_table", synced);
        String catalog = a.string("catalog_name");
        if (catalog != null) {
            // as ai-dev-kit: the catalog's registration goes too when named; its database and tables stay
            try {
                api.deleteCatalog(catalog).waitFor(WAIT);
                out.put("catalog", map("name", catalog, "status", "deleted"));
                log.info("mcp: deleted catalog {}", catalog);
            } catch (OxbowException.NotFound e) {
                out.put("catalog", map("name", catalog, "status", "NOT_FOUND", "error", "Catalog '" + catalog + "' not found"));
            } catch (OxbowException e) {
                out.put("catalog", map("name", catalog, "error", e.getMessage()));
            }
        }
        return out;
    }

    // ---- credentials

    private Map<String, Object> generateCredential(Args a) {
        String endpoint = a.string("endpoint");
        List<String> instances = a.strings("instance_names");
        if (endpoint == null && (instances == null || instances.isEmpty())) {
            return map("error", "Provide either instance_names (provisioned) or endpoint (autoscale).");
        }
        if (endpoint == null) {
            String branch = branchOf(instances.getFirst());
            endpoint = endpointOfType(branch, Endpoint.READ_WRITE).map(Endpoint::name)
                    .orElseThrow(() -> new IllegalArgumentException("No read-write endpoint on " + branch));
        }
        DatabaseCredential c = api.generateDatabaseCredential(endpoint);
        Map<String, Object> out = map("token", c.token());
        if (c.expireTime() != null) {
            out.put("expire_time", c.expireTime().toString());
            out.put("expiration_time", c.expireTime().toString());
        }
        out.put("message", CREDENTIAL_MESSAGE);
        if (instances != null && a.string("endpoint") == null) {
            out.put("instance_names", instances);
            out.put("endpoint", endpoint);
        }
        return out;
    }

    // ---- manage_* aliases

    private Map<String, Object> manageDatabase(Args a) {
        String action = a.string("action", "");
        return switch (action) {
            case "create_or_update" -> requires(a, action, List.of("name"), this::createOrUpdateDatabase);
            case "get" -> getDatabase(a);
            case "list" -> getDatabase(new Args(without(a, "name")));
            case "delete" -> requires(a, action, List.of("name"), this::deleteDatabase);
            default -> invalidAction(action, "create_or_update, get, list, delete");
        };
    }

    private Map<String, Object> manageBranch(Args a) {
        String action = a.string("action", "");
        return switch (action) {
            case "create_or_update" -> requires(a, action, List.of("project_name", "branch_id"), this::createOrUpdateBranch);
            case "delete" -> requires(a, action, List.of("name"), this::deleteBranch);
            default -> invalidAction(action, "create_or_update, delete");
        };
    }

    private Map<String, Object> manageSync(Args a) {
        String action = a.string("action", "");
        return switch (action) {
            case "create_or_update" -> requires(a, action, List.of("instance_name", "source_table_name", "target_table_name"), this::createOrUpdateSync);
            case "delete" -> requires(a, action, List.of("table_name"), this::deleteSync);
            default -> invalidAction(action, "create_or_update, delete");
        };
    }

    private static Map<String, Object> requires(Args a, String action, List<String> names, Function<Args, Map<String, Object>> then) {
        List<String> missing = names.stream().filter(n -> a.string(n) == null).toList();
        if (!missing.isEmpty()) {
            return map("error", action + " requires: " + String.join(", ", names));
        }
        return then.apply(a);
    }

    private static Map<String, Object> invalidAction(String action, String valid) {
        return map("error", "Invalid action '" + action + "'. Valid actions: " + valid);
    }

    private static Map<String, Object> without(Args a, String key) {
        Map<String, Object> copy = new LinkedHashMap<>(a.values());
        copy.remove(key);
        return copy;
    }

    private static boolean exists(Supplier<?> get) {
        try {
            get.get();
            return true;
        } catch (OxbowException.NotFound e) {
            return false;
        }
    }

    /** An insertion-ordered map from key/value pairs; null values are left out, as the reference's dicts omit them. */
    static Map<String, Object> map(Object... pairs) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            if (pairs[i + 1] != null) {
                m.put((String) pairs[i], pairs[i + 1]);
            }
        }
        return m;
    }
}
