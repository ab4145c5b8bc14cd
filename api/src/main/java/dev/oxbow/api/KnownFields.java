package dev.oxbow.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.oxbow.controlplane.resource.ApiException;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * Fields the Databricks API defines that Oxbow does not act on (yet), per JSON object of a request. One that carries a
 * value is refused with INVALID_PARAMETER_VALUE naming it, so nothing a caller asks for is accepted and dropped (a
 * read-only credential that came back as a full one, a branch from a snapshot that came back as production's head).
 * Fields the API does not define stay tolerated (newer SDKs send them). Go's SDK always sends zero values, so
 * {@code ""}, {@code 0}, {@code false}, {@code null} and empty containers count as unset. Implementing a field means
 * removing it from here.
 */
final class KnownFields {
    private KnownFields() {}

    static final Set<String> PROJECT_BODY = Set.of();
    static final Set<String> PROJECT_SPEC = Set.of("compute_provisioner");
    static final Set<String> BRANCH_SPEC = Set.of();
    static final Set<String> CREDENTIAL = Set.of();
    /** Synced tables list these among their unsupported fields, refused by the service with the others. */
    static final List<String> SYNCED_TABLE_SPEC = List.of("accelerated_sync", "existing_pipeline_id", "new_pipeline_spec");

    /** Refuses every field of {@code object} in {@code unimplemented} that carries a value; {@code prefix} ends with a dot or is empty. */
    static void refuse(JsonNode object, String prefix, Set<String> unimplemented) {
        if (object == null || !object.isObject()) {
            return;
        }
        List<String> refused = new ArrayList<>();
        for (Iterator<String> it = object.fieldNames(); it.hasNext(); ) {
            String field = it.next();
            if (unimplemented.contains(field) && isSet(object.get(field))) {
                refused.add(prefix + field);
            }
        }
        if (!refused.isEmpty()) {
            throw ApiException.invalid((refused.size() == 1 ? "Field " + refused.get(0) + " is" : "Fields " + String.join(", ", refused) + " are")
                    + " not supported by Oxbow yet; remove " + (refused.size() == 1 ? "it" : "them")
                    + " (Oxbow refuses what it would not act on rather than ignore it).");
        }
    }

    static boolean isSet(JsonNode v) {
        if (v == null || v.isNull() || v.isMissingNode()) {
            return false;
        }
        if (v.isTextual()) {
            return !v.asText().isEmpty();
        }
        if (v.isNumber()) {
            return v.asDouble() != 0;
        }
        if (v.isBoolean()) {
            return v.asBoolean();
        }
        return !v.isEmpty();
    }

}
