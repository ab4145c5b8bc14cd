package dev.oxbow.controlplane.resource;

import java.util.Locale;

/** Parsing of resource names and derivation of ids from free-form names. */
public final class Names {
    private Names() {}

    /** Splits {@code projects/p/branches/b/...} into its segments, requiring the given collection keywords. */
    public static String[] parse(String name, String... collections) {
        String[] parts = name == null ? new String[0] : name.split("/", -1);
        if (parts.length != collections.length * 2) {
            throw ApiException.invalid("Invalid resource name '" + name + "': expected " + shape(collections) + ".");
        }
        String[] ids = new String[collections.length];
        for (int i = 0; i < collections.length; i++) {
            if (!parts[2 * i].equals(collections[i]) || parts[2 * i + 1].isEmpty()) {
                throw ApiException.invalid("Invalid resource name '" + name + "': expected " + shape(collections) + ".");
            }
            ids[i] = parts[2 * i + 1];
        }
        return ids;
    }

    private static String shape(String... collections) {
        StringBuilder sb = new StringBuilder();
        for (String c : collections) {
            if (!sb.isEmpty()) {
                sb.append('/');
            }
            sb.append(c).append("/{").append(singular(c)).append('}');
        }
        return sb.toString();
    }

    /** "projects" → "project", "branches" → "branch", "policies" → "policy". */
    private static String singular(String collection) {
        if (collection.endsWith("ies")) {
            return collection.substring(0, collection.length() - 3) + "y";
        }
        if (collection.endsWith("ches") || collection.endsWith("shes") || collection.endsWith("sses") || collection.endsWith("xes")) {
            return collection.substring(0, collection.length() - 2);
        }
        return collection.endsWith("s") ? collection.substring(0, collection.length() - 1) : collection;
    }

    /** A DNS-safe id (4-63 chars, starts with a letter) derived from a Postgres name such as an e-mail. */
    public static String deriveId(String raw) {
        String s = raw.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("^-+|-+$", "");
        if (s.isEmpty() || !Character.isLetter(s.charAt(0))) {
            s = "r-" + s;
        }
        if (s.length() > 63) {
            s = s.substring(0, 63).replaceAll("-+$", "");
        }
        while (s.length() < 4) {
            s = s + "-x";
        }
        return s;
    }
}
