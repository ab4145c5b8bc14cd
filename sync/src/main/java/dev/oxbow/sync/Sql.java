package dev.oxbow.sync;

import java.util.List;
import java.util.stream.Collectors;

/** SQL text helpers: quoted identifiers and column lists. */
final class Sql {
    private Sql() {}

    static String ident(String name) {
        return "\"" + name.replace("\"", "\"\"") + "\"";
    }

    static String literal(String value) {
        return "'" + value.replace("'", "''") + "'";
    }

    static String qualified(String schema, String table) {
        return ident(schema) + "." + ident(table);
    }

    static String idents(List<String> names) {
        return names.stream().map(Sql::ident).collect(Collectors.joining(", "));
    }

    /** {@code a."x" = b."x" AND ...} over {@code names}. */
    static String joinOn(String left, String right, List<String> names) {
        return names.stream().map(n -> left + "." + ident(n) + " = " + right + "." + ident(n)).collect(Collectors.joining(" AND "));
    }
}
