package dev.oxbow.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.oxbow.controlplane.resource.ApiException;
import dev.oxbow.controlplane.resource.Specs;
import dev.oxbow.metadata.Project;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Decodes request bodies into {@link Specs}. Absent fields, JSON null and Go's zero values ("" and 0)
 * all mean "unset"; a value of the wrong type is a 400 naming the field.
 */
final class SpecReader {
    private SpecReader() {}

    static Specs.ProjectSpec project(JsonNode body) {
        JsonNode s = spec(body);
        KnownFields.refuse(body, "", KnownFields.PROJECT_BODY);
        KnownFields.refuse(s, "spec.", KnownFields.PROJECT_SPEC);
        return new Specs.ProjectSpec(
                text(s, "display_name", "spec."),
                pgVersion(s.get("pg_version")),
                duration(s, "history_retention_duration", "spec."),
                endpointSettings(s.get("default_endpoint_settings"), "spec.default_endpoint_settings."),
                text(s, "default_branch", "spec."),
                text(s, "budget_policy_id", "spec."),
                tags(s.get("custom_tags")),
                bool(s, "enable_pg_native_login", "spec."),
                bool(s, "synchronous_wal", "spec."));
    }

    static Specs.ProjectInitial projectInitial(JsonNode body) {
        JsonNode branch = object(body, "initial_branch_spec", "");
        JsonNode endpoint = body == null ? null : body.get("initial_endpoint_spec");
        Specs.EndpointSettings settings = endpointSettings(endpoint, "initial_endpoint_spec.");
        Specs.Group group = endpoint == null || endpoint.isNull() ? null : group(endpoint.get("group"), "initial_endpoint_spec.group.");
        JsonNode role = object(body, "initial_role_spec", "");
        JsonNode database = object(body, "initial_database_spec", "");
        JsonNode attributes = object(role, "attributes", "initial_role_spec.");
        Specs.RoleSpec roleSpec = role.isMissingNode() || !KnownFields.isSet(role) ? null : new Specs.RoleSpec(
                text(role, "postgres_role", "initial_role_spec."),
                text(role, "identity_type", "initial_role_spec."),
                text(role, "auth_method", "initial_role_spec."),
                stringList(role.get("membership_roles"), "initial_role_spec.membership_roles"),
                bool(attributes, "bypassrls", "initial_role_spec.attributes."),
                bool(attributes, "createdb", "initial_role_spec.attributes."),
                bool(attributes, "createrole", "initial_role_spec.attributes."));
        Specs.DatabaseSpec databaseSpec = database.isMissingNode() || !KnownFields.isSet(database) ? null : new Specs.DatabaseSpec(
                text(database, "postgres_database", "initial_database_spec."), text(database, "role", "initial_database_spec."));
        return new Specs.ProjectInitial(bool(branch, "is_protected", "initial_branch_spec."), settings, group, roleSpec, databaseSpec);
    }

    static Specs.BranchSpec branch(JsonNode body) {
        JsonNode s = spec(body);
        KnownFields.refuse(s, "spec.", KnownFields.BRANCH_SPEC);
        String time = text(s, "source_branch_time", "spec.");
        String expire = text(s, "expire_time", "spec.");
        return new Specs.BranchSpec(
                text(s, "source_branch", "spec."),
                text(s, "source_branch_lsn", "spec."),
                time == null ? null : Wire.parseTimestamp("spec.source_branch_time", time),
                bool(s, "is_protected", "spec."),
                duration(s, "ttl", "spec."),
                expire == null ? null : Wire.parseTimestamp("spec.expire_time", expire),
                bool(s, "no_expiry", "spec."));
    }

    /** A branch update's spec: {@code spec.masked} is fixed at creation, so setting it is refused rather than ignored. */
    static Specs.BranchSpec branchUpdate(JsonNode body) {
        if (branchMasked(body) != null) {
            throw ApiException.invalid("Field spec.masked is set when a branch is created and cannot be changed; "
                    + "create a new branch with spec.masked=true instead.");
        }
        return branch(body);
    }

    /** Oxbow's {@code spec.masked} on branch create: mask the new branch with the project's rules (null when unset). */
    static Boolean branchMasked(JsonNode body) {
        JsonNode s = spec(body);
        return s == null || !s.isObject() ? null : bool(s, "masked", "spec.");
    }

    /** BranchSpec.source_snapshot: the snapshot a new branch's data comes from (null when unset). */
    static String sourceSnapshot(JsonNode body) {
        return text(spec(body), "source_snapshot", "spec.");
    }

    /** A Snapshot body: the root branch to take it of, {@code spec.source_branch} (null: the project's default branch). */
    static String snapshotSourceBranch(JsonNode body) {
        return text(spec(body), "source_branch", "spec.");
    }

    /** A SnapshotSchedule body: {@code spec.frequency} (DAILY, WEEKLY, MONTHLY or NONE). */
    static String scheduleFrequency(JsonNode body) {
        return text(spec(body), "frequency", "spec.");
    }

    static Specs.EndpointSpec endpoint(JsonNode body) {
        JsonNode s = spec(body);
        JsonNode settings = object(s, "settings", "spec.");
        return new Specs.EndpointSpec(
                text(s, "endpoint_type", "spec."),
                number(s, "autoscaling_limit_min_cu", "spec."),
                number(s, "autoscaling_limit_max_cu", "spec."),
                duration(s, "suspend_timeout_duration", "spec."),
                bool(s, "no_suspension", "spec."),
                bool(s, "disabled", "spec."),
                group(s.get("group"), "spec.group."),
                stringMap(settings.get("pg_settings"), "spec.settings.pg_settings"));
    }

    static Specs.RoleSpec role(JsonNode body) {
        JsonNode s = spec(body);
        JsonNode attributes = object(s, "attributes", "spec.");
        return new Specs.RoleSpec(
                text(s, "postgres_role", "spec."),
                text(s, "identity_type", "spec."),
                text(s, "auth_method", "spec."),
                stringList(s.get("membership_roles"), "spec.membership_roles"),
                bool(attributes, "bypassrls", "spec.attributes."),
                bool(attributes, "createdb", "spec.attributes."),
                bool(attributes, "createrole", "spec.attributes."));
    }

    static Specs.DatabaseSpec database(JsonNode body) {
        JsonNode s = spec(body);
        return new Specs.DatabaseSpec(text(s, "postgres_database", "spec."), text(s, "role", "spec."));
    }

    record CredentialRequest(String endpoint, Long ttlSeconds, java.time.Instant expireTime, dev.oxbow.auth.TokenScope scope) {}

    static dev.oxbow.controlplane.sync.SyncedTableSpec syncedTable(JsonNode body) {
        JsonNode s = spec(body);
        List<String> keys = stringList(s.get("primary_key_columns"), "spec.primary_key_columns");
        List<String> unsupported = new ArrayList<>();
        List<String> unimplemented = new ArrayList<>(List.of("type_overrides", "extra_columns", "extra_index_definitions"));
        unimplemented.addAll(KnownFields.SYNCED_TABLE_SPEC);
        for (String field : unimplemented) {
            JsonNode v = s.get(field);
            if (KnownFields.isSet(v)) {
                unsupported.add("spec." + field);
            }
        }
        return new dev.oxbow.controlplane.sync.SyncedTableSpec(
                text(s, "source_table_full_name", "spec."),
                keys == null ? List.of() : keys,
                text(s, "timeseries_key", "spec."),
                text(s, "scheduling_policy", "spec."),
                text(s, "branch", "spec."),
                text(s, "postgres_database", "spec."),
                bool(s, "create_database_objects_if_missing", "spec."),
                unsupported);
    }

    static dev.oxbow.controlplane.catalog.CatalogSpec catalog(JsonNode body) {
        JsonNode s = spec(body);
        if (s.isMissingNode()) {
            return null;
        }
        return new dev.oxbow.controlplane.catalog.CatalogSpec(text(s, "branch", "spec."), text(s, "postgres_database", "spec."),
                bool(s, "create_database_if_missing", "spec."));
    }

    static CredentialRequest credentialRequest(JsonNode body) {
        if (body == null || !body.isObject()) {
            throw ApiException.invalid("The request body must be a JSON object such as {\"endpoint\": \"projects/p/branches/b/endpoints/e\"}.");
        }
        KnownFields.refuse(body, "", KnownFields.CREDENTIAL);
        String expire = text(body, "expire_time", "");
        return new CredentialRequest(text(body, "endpoint", ""), duration(body, "ttl", ""),
                expire == null ? null : Wire.parseTimestamp("expire_time", expire),
                new dev.oxbow.auth.TokenScope(readOnlyTables(body.get("claims")), text(body, "group_name", "")));
    }

    /** RequestedClaims: {@code [{permission_set: READ_ONLY, resources: [{table_name}]}]}; READ_ONLY is the only permission set. */
    private static List<String> readOnlyTables(JsonNode claims) {
        if (claims == null || claims.isNull()) {
            return List.of();
        }
        if (!claims.isArray()) {
            throw ApiException.invalid("Field claims must be a list of {permission_set, resources}.");
        }
        List<String> tables = new java.util.ArrayList<>();
        for (JsonNode claim : claims) {
            if (!claim.isObject()) {
                throw ApiException.invalid("Field claims must be a list of {permission_set, resources}.");
            }
            String permission = text(claim, "permission_set", "claims.");
            if (!"READ_ONLY".equals(permission)) {
                throw ApiException.invalid("Field claims.permission_set must be READ_ONLY (the only permission set), got '" + permission + "'.");
            }
            JsonNode resources = claim.get("resources");
            if (resources == null || !resources.isArray() || resources.isEmpty()) {
                throw ApiException.invalid("Field claims.resources must name at least one table ({\"table_name\": ...}) for a READ_ONLY claim.");
            }
            for (JsonNode r : resources) {
                String table = r.isObject() ? text(r, "table_name", "claims.resources.") : null;
                if (table == null) {
                    throw ApiException.required("claims.resources.table_name");
                }
                if (!tables.contains(table)) {
                    tables.add(table);
                }
            }
        }
        return tables;
    }

    private static JsonNode spec(JsonNode body) {
        if (body == null || body.isNull() || body.isMissingNode()) {
            return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
        }
        if (!body.isObject()) {
            throw ApiException.invalid("The request body must be a JSON object such as {\"spec\": {...}}.");
        }
        return object(body, "spec", "");
    }

    private static JsonNode object(JsonNode parent, String field, String prefix) {
        JsonNode n = parent == null ? null : parent.get(field);
        if (n == null || n.isNull()) {
            return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
        }
        if (!n.isObject()) {
            throw ApiException.invalid("Field " + prefix + field + " must be an object.");
        }
        return n;
    }

    /** A string field of the body itself (resources without a spec, such as CdfConfig); the body must be an object. */
    static String textField(JsonNode body, String field) {
        if (body == null || !body.isObject()) {
            throw ApiException.invalid("The request body must be a JSON object.");
        }
        return text(body, field, "cdf_config.");
    }

    static String text(JsonNode parent, String field, String prefix) {
        JsonNode n = parent.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isTextual()) {
            throw ApiException.invalid("Field " + prefix + field + " must be a string.");
        }
        return n.asText().isEmpty() ? null : n.asText();
    }

    private static Boolean bool(JsonNode parent, String field, String prefix) {
        JsonNode n = parent.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isBoolean()) {
            throw ApiException.invalid("Field " + prefix + field + " must be true or false.");
        }
        return n.asBoolean();
    }

    private static Double number(JsonNode parent, String field, String prefix) {
        JsonNode n = parent.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        double v;
        if (n.isNumber()) {
            v = n.asDouble();
        } else if (n.isTextual() && n.asText().matches("-?\\d+(\\.\\d+)?")) {
            v = Double.parseDouble(n.asText());
        } else if (n.isTextual() && n.asText().isEmpty()) {
            return null;
        } else {
            throw ApiException.invalid("Field " + prefix + field + " must be a number.");
        }
        return v == 0 ? null : v;
    }

    private static Integer integer(JsonNode parent, String field, String prefix) {
        Double d = number(parent, field, prefix);
        if (d == null) {
            return null;
        }
        if (d != Math.rint(d) || Math.abs(d) > Integer.MAX_VALUE) {
            throw ApiException.invalid("Field " + prefix + field + " must be a whole number.");
        }
        return d.intValue();
    }

    private static Integer pgVersion(JsonNode n) {
        if (n == null || n.isNull()) {
            return null;
        }
        if ((n.isTextual() && n.asText().matches("\\d{1,4}")) || (n.isIntegralNumber() && n.canConvertToInt())) {
            int v = n.asInt();
            return v == 0 ? null : v;
        }
        if (n.isTextual() && n.asText().isEmpty()) {
            return null;
        }
        throw ApiException.invalid("Field spec.pg_version must be 16 or 17 (a number or a string), got " + n + ".");
    }

    private static Long duration(JsonNode parent, String field, String prefix) {
        String text = text(parent, field, prefix);
        return text == null ? null : Wire.parseDuration(prefix + field, text);
    }

    private static Specs.EndpointSettings endpointSettings(JsonNode n, String prefix) {
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isObject()) {
            throw ApiException.invalid("Field " + prefix.substring(0, prefix.length() - 1) + " must be an object.");
        }
        return new Specs.EndpointSettings(number(n, "autoscaling_limit_min_cu", prefix), number(n, "autoscaling_limit_max_cu", prefix),
                duration(n, "suspend_timeout_duration", prefix), bool(n, "no_suspension", prefix),
                stringMap(n.get("pg_settings"), prefix + "pg_settings"));
    }

    private static Specs.Group group(JsonNode n, String prefix) {
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isObject()) {
            throw ApiException.invalid("Field " + prefix.substring(0, prefix.length() - 1) + " must be an object.");
        }
        return new Specs.Group(integer(n, "min", prefix), integer(n, "max", prefix), bool(n, "enable_readable_secondaries", prefix));
    }

    private static List<Project.Tag> tags(JsonNode n) {
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isArray()) {
            throw ApiException.invalid("Field spec.custom_tags must be a list of {key, value}.");
        }
        List<Project.Tag> tags = new ArrayList<>();
        for (JsonNode t : n) {
            String key = t.isObject() ? text(t, "key", "spec.custom_tags.") : null;
            if (key == null) {
                throw ApiException.invalid("Every entry of spec.custom_tags needs a non-empty key.");
            }
            String value = text(t, "value", "spec.custom_tags.");
            tags.add(new Project.Tag(key, value == null ? "" : value));
        }
        return tags;
    }

    private static Map<String, String> stringMap(JsonNode n, String field) {
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isObject()) {
            throw ApiException.invalid("Field " + field + " must be an object of strings.");
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (var it = n.fields(); it.hasNext(); ) {
            var e = it.next();
            if (!e.getValue().isValueNode() || e.getValue().isNull()) {
                throw ApiException.invalid("Field " + field + "." + e.getKey() + " must be a string.");
            }
            out.put(e.getKey(), e.getValue().asText());
        }
        return out;
    }

    private static List<String> stringList(JsonNode n, String field) {
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isArray()) {
            throw ApiException.invalid("Field " + field + " must be a list of strings.");
        }
        List<String> out = new ArrayList<>();
        for (JsonNode v : n) {
            if (!v.isTextual()) {
                throw ApiException.invalid("Field " + field + " must be a list of strings.");
            }
            out.add(v.asText());
        }
        return out;
    }

}
