package dev.oxbow.controlplane.masking;

import dev.oxbow.controlplane.resource.ApiException;
import dev.oxbow.controlplane.resource.Resources;
import dev.oxbow.metadata.MaskingAction;
import dev.oxbow.metadata.MaskingPolicy;
import dev.oxbow.metadata.MaskingRule;
import dev.oxbow.metadata.MetadataStore;
import dev.oxbow.metadata.Project;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

/**
 * A project's masking rules: read, replaced as a whole after validation (nothing is stored when one rule is
 * wrong), and the project's secret hash key, made once with the first rules and kept for the project's life so
 * that every masked branch hashes the same value the same way.
 */
public final class MaskingRules {
    /** More than a schema of this size is a mistake, and every rule costs a column in an UPDATE. */
    public static final int MAX_RULES = 1000;
    private static final int KEY_BYTES = 32;

    /** A rule as the API received it: the action still a string, so it is checked here with the rest. */
    public record Requested(String database, String schema, String table, String column, String action) {}

    private final MetadataStore store;
    private final Resources resources;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();

    public MaskingRules(MetadataStore store, Resources resources, Clock clock) {
        this.store = store;
        this.resources = resources;
        this.clock = clock;
    }

    /** The project's policy (no rules and no key yet when never set). */
    public MaskingPolicy get(String projectName) {
        Project project = resources.liveProject(projectName);
        return store.maskingPolicies().get(MaskingPolicy.nameOf(project.projectId()))
                .orElse(new MaskingPolicy(project.projectId(), List.of(), null, null));
    }

    /** Replaces the project's rules with {@code requested}, all validated first. */
    public MaskingPolicy set(String projectName, List<Requested> requested) {
        Project project = resources.liveProject(projectName);
        List<MaskingRule> rules = validate(requested);
        var now = clock.instant();
        return store.transaction(() -> {
            MaskingPolicy current = store.maskingPolicies().get(MaskingPolicy.nameOf(project.projectId())).orElse(null);
            MaskingPolicy next = current != null && current.keyHex() != null ? current.withRules(rules, now)
                    : new MaskingPolicy(project.projectId(), rules, newKey(), now);
            store.maskingPolicies().put(next);
            return next;
        });
    }

    private String newKey() {
        byte[] key = new byte[KEY_BYTES];
        random.nextBytes(key);
        return HexFormat.of().formatHex(key);
    }

    /** Every field of every rule, named by its index ({@code rules[2].column}) when wrong; one rule per column. */
    static List<MaskingRule> validate(List<Requested> requested) {
        if (requested == null) {
            throw ApiException.invalid("Field rules is required: a list of {database, schema, table, column, action}.");
        }
        if (requested.size() > MAX_RULES) {
            throw ApiException.invalid("Field rules has " + requested.size() + " rules; at most " + MAX_RULES + " are allowed.");
        }
        Set<String> seen = new HashSet<>();
        List<MaskingRule> out = new java.util.ArrayList<>();
        for (int i = 0; i < requested.size(); i++) {
            Requested r = requested.get(i);
            String at = "rules[" + i + "].";
            if (r == null) {
                throw ApiException.invalid("Field rules[" + i + "] must be an object.");
            }
            String database = identifier(at + "database", r.database());
            String schema = identifier(at + "schema", r.schema() == null || r.schema().isEmpty() ? "public" : r.schema());
            String table = identifier(at + "table", r.table());
            String column = identifier(at + "column", r.column());
            MaskingAction action = MaskingAction.fromWire(r.action() == null ? "" : r.action())
                    .orElseThrow(() -> ApiException.invalid("Field " + at + "action must be one of redact, hash, fake_email, null, keep; got '"
                            + r.action() + "'."));
            MaskingRule rule = new MaskingRule(database, schema, table, column, action);
            if (!seen.add(String.join("\u0000", database, schema, table, column))) {
                throw ApiException.invalid("Field " + at + "column: " + rule.columnRef() + " has more than one rule; keep one.");
            }
            out.add(rule);
        }
        return out;
    }

    /** A PostgreSQL identifier as stored in the catalog (case kept; always quoted in SQL): 1..63 bytes, no NUL or control characters. */
    static String identifier(String field, String value) {
        if (value == null || value.isEmpty()) {
            throw ApiException.invalid("Field " + field + " is required.");
        }
        if (value.getBytes(StandardCharsets.UTF_8).length > 63) {
            throw ApiException.invalid("Field " + field + " is longer than PostgreSQL's 63-byte identifier limit: '" + value + "'.");
        }
        if (value.chars().anyMatch(Character::isISOControl)) {
            throw ApiException.invalid("Field " + field + " contains a control character.");
        }
        return value;
    }
}
