package dev.oxbow.controlplane.resource;

import java.util.LinkedHashSet;
import java.util.Set;

/** Checks an update_mask: required, known paths only; {@code *} means every updatable path. */
public final class UpdateMask {
    private UpdateMask() {}

    /**
     * Like {@link #check(Set, Set)}, but {@code *} means every updatable path whose field the body sets ("empty fields
     * excluded", as the SDK documents the wildcard); {@code setInBody} names those paths.
     */
    public static Set<String> check(Set<String> mask, Set<String> allowed, java.util.function.Supplier<Set<String>> setInBody) {
        if (mask == null || !mask.contains("*")) {
            return check(mask, allowed);
        }
        Set<String> named = new LinkedHashSet<>(mask);
        named.remove("*");
        Set<String> paths = named.isEmpty() ? new LinkedHashSet<>() : check(named, allowed);
        paths.addAll(setInBody.get());
        return paths;
    }

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
