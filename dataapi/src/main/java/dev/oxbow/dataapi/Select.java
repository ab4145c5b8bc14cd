package dev.oxbow.dataapi;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Vertical filtering: {@code select=*,id,full_name:name,price::text,author:authors(name),books(*)}. A column item may be
 * renamed ({@code alias:column}) and cast to one of {@link #CASTS}; an embed names a related relation and its own items.
 */
sealed interface Select {
    record Star() implements Select {}

    record Column(String name, String alias, String cast) implements Select {}

    record Embed(String relation, String alias, List<Select> items) implements Select {}

    /**
     * An aggregate as PostgREST 12 writes it: {@code count()}, {@code price.sum()}, {@code n:id.count()},
     * {@code price.avg()::int}; the plain columns beside it become the GROUP BY.
     */
    record Aggregate(String function, String column, String alias, String cast) implements Select {
        /** The output key: the alias, else the function's name, as PostgREST names it. */
        String key() {
            return alias != null ? alias : function;
        }
    }

    /** Aggregate functions a select may call: an allow-list, since the name is spliced into SQL. */
    Set<String> AGGREGATES = Set.of("count", "sum", "avg", "min", "max");

    static boolean hasAggregate(List<Select> items) {
        return items.stream().anyMatch(i -> i instanceof Aggregate || i instanceof Embed e && hasAggregate(e.items()));
    }

    /** Types a select may cast to: an allow-list, since the type name is spliced into SQL. */
    Set<String> CASTS = Set.of("text", "varchar", "int", "int2", "int4", "int8", "integer", "bigint", "smallint", "numeric",
            "real", "float4", "float8", "double precision", "boolean", "bool", "date", "time", "timestamp", "timestamptz",
            "interval", "json", "jsonb", "uuid", "bytea");

    static List<Select> parse(String select) {
        if (select == null || select.isBlank()) {
            return List.of(new Star());
        }
        List<Select> items = new ArrayList<>();
        for (String raw : FilterParser.split(select)) {
            String item = raw.strip();
            if (item.isEmpty()) {
                throw PostgrestException.parse("\"failed to parse select parameter (" + select + ")\"", "empty item");
            }
            items.add(item(item, select));
        }
        return List.copyOf(items);
    }

    private static Select item(String item, String whole) {
        if (item.equals("*")) {
            return new Star();
        }
        String alias = null;
        int paren = item.indexOf('(');
        int colon = item.indexOf(':');
        // "alias:name", not the "::" of a cast
        if (colon > 0 && (paren < 0 || colon < paren) && !item.startsWith("::", colon)) {
            alias = item.substring(0, colon);
            item = item.substring(colon + 1);
            paren = item.indexOf('(');
        }
        Select aggregate = aggregate(item, alias, whole);
        if (aggregate != null) {
            return aggregate;
        }
        if (paren > 0) {
            if (!item.endsWith(")")) {
                throw PostgrestException.parse("\"failed to parse select parameter (" + whole + ")\"", "unbalanced parentheses");
            }
            String relation = item.substring(0, paren);
            int bang = relation.indexOf('!');
            if (bang > 0) {
                relation = relation.substring(0, bang); // join hints (!inner, !fk_name) are accepted and not needed yet
            }
            return new Embed(relation, alias, parse(item.substring(paren + 1, item.length() - 1)));
        }
        String cast = null;
        int cc = item.indexOf("::");
        if (cc > 0) {
            cast = item.substring(cc + 2).toLowerCase(Locale.ROOT);
            item = item.substring(0, cc);
            if (!CASTS.contains(cast)) {
                throw PostgrestException.parse("\"failed to parse select parameter (" + whole + ")\"", "cannot cast to " + cast
                        + "; allowed: " + new java.util.TreeSet<>(CASTS));
            }
        }
        return new Column(item, alias, cast);
    }

    /** {@code count()}, {@code col.fn()} or either with {@code ::cast}; null when {@code item} is not an aggregate. */
    private static Select aggregate(String item, String alias, String whole) {
        String cast = null;
        int cc = item.lastIndexOf("::");
        String call = item;
        if (cc > 0 && item.startsWith("()", cc - 2)) {
            cast = item.substring(cc + 2).toLowerCase(Locale.ROOT);
            call = item.substring(0, cc);
        }
        if (!call.endsWith("()")) {
            return null;
        }
        String head = call.substring(0, call.length() - 2);
        int dot = head.lastIndexOf('.');
        String function = (dot < 0 ? head : head.substring(dot + 1)).toLowerCase(Locale.ROOT);
        String column = dot < 0 ? null : head.substring(0, dot);
        if (column == null && !function.equals("count")) {
            return null; // "books()": an embed with no columns
        }
        if (!AGGREGATES.contains(function)) {
            throw PostgrestException.parse("\"failed to parse select parameter (" + whole + ")\"", "unknown aggregate " + function
                    + "; allowed: " + new java.util.TreeSet<>(AGGREGATES));
        }
        if (cast != null && !CASTS.contains(cast)) {
            throw PostgrestException.parse("\"failed to parse select parameter (" + whole + ")\"", "cannot cast to " + cast
                    + "; allowed: " + new java.util.TreeSet<>(CASTS));
        }
        return new Aggregate(function, column, alias, cast);
    }
}
