package dev.oxbow.controlplane.diff;

import java.util.List;
import java.util.stream.Collectors;

/** Identifiers for the SQL the diff runs and the DDL it writes: always double-quoted, so no name is ever read as SQL. */
final class Ident {
    private Ident() {}

    static String quote(String name) {
        return "\"" + name.replace("\"", "\"\"") + "\"";
    }

    static String qualified(String schema, String name) {
        return quote(schema) + "." + quote(name);
    }

    static String list(List<String> names) {
        return names.stream().map(Ident::quote).collect(Collectors.joining(", "));
    }
}
