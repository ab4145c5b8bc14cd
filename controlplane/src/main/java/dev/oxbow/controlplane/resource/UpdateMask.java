package dev.oxbow.controlplane.resource;

import java.util.LinkedHashSet;
import java.util.Set;

/** Checks an update_mask: required, known paths only; {@code *} means every updatable path. */
public final class UpdateMask {
    private UpdateMask() {}

    public static Set<String> check(Set<String> mask, Set<String> allowed) {
        if (mask == null || mask.isEmpty()) {
            throw ApiException.invalid("Field 'update_mask' is required, expected non-default value (not \"\")! Name the fields to change, e.g. update_mask="
                    + allowed.stream().sorted().findFirst().orElse("spec") + ".");
        }
        Set<String> paths = new LinkedHashSet<>();
        for (String path : mask) {
            if (path.equals("*")) {
                paths.addAll(allowed);
            } else if (allowed.contains(path)) {
                paths.add(path);
            } else {
                throw ApiException.invalid("update_mask path '" + path + "' cannot be updated; updatable paths: "
                        + String.join(", ", allowed.stream().sorted().toList()) + ".");
            }
        }
        return paths;
    }
}
