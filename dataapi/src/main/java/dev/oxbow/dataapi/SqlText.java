package dev.oxbow.dataapi;

import java.util.ArrayList;
import java.util.List;

/**
 * SQL under construction with its bound parameters. Identifiers go in only through {@link #ident} (always
 * double-quoted, after they were checked against the schema cache); values only as {@code ?} parameters.
 */
final class SqlText {
    private final StringBuilder sql = new StringBuilder();
    private final List<Object> params = new ArrayList<>();

    SqlText sql(String fragment) {
        sql.append(fragment);
        return this;
    }

    SqlText ident(String name) {
        sql.append(quote(name));
        return this;
    }

    /** A bound text value cast to {@code type}, a type name that came from the catalog or an allow-list. */
    SqlText value(Object value, String type) {
        sql.append("CAST(? AS ").append(type).append(')');
        params.add(value);
        return this;
    }

    SqlText param(Object value) {
        sql.append('?');
        params.add(value);
        return this;
    }

    SqlText append(SqlText other) {
        sql.append(other.sql);
        params.addAll(other.params);
        return this;
    }

    boolean isEmpty() {
        return sql.isEmpty();
    }

    String text() { return sql.toString(); }
    List<Object> params() { return params; }

    static String quote(String identifier) {
        if (identifier.indexOf('\0') >= 0) {
            throw PostgrestException.parse("identifiers cannot contain NUL", null);
        }
        return '"' + identifier.replace("\"", "\"\"") + '"';
    }

    @Override
    public String toString() {
        return sql + " " + params;
    }
}
