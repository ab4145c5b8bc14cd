package dev.oxbow.dataapi;

import dev.oxbow.dataapi.SchemaCache.Relation;

import java.util.List;

/**
 * Turns parsed selects, filters and orders into SQL over one relation. Every identifier is looked up in the
 * {@link SchemaCache} first (unknown ones are refused) and then quoted; every value is a bound parameter cast to the
 * column's catalog type. Relations are aliased {@code _0}, {@code _1}, … by nesting depth.
 */
final class QueryBuilder {
    private final SchemaCache cache;

    QueryBuilder(SchemaCache cache) {
        this.cache = cache;
    }

    static String alias(int depth) {
        return "_" + depth;
    }

    /** The select list of {@code rel} at {@code depth}, embeds as correlated subqueries producing JSON. */
    SqlText items(Relation rel, List<Select> items, int depth) {
        SqlText out = new SqlText();
        String a = alias(depth);
        for (Select item : items) {
            if (!out.isEmpty()) {
                out.sql(", ");
            }
            switch (item) {
                case Select.Star s -> out.sql(a + ".*");
                case Select.Column c -> {
                    out.sql(a + ".").ident(rel.column(c.name()));
                    if (c.cast() != null) {
                        out.sql("::" + c.cast());
                    }
                    out.sql(" AS ").ident(c.alias() != null ? c.alias() : c.name());
                }
                case Select.Embed e -> out.append(embed(rel, e, depth));
                case Select.Aggregate g -> {
                    out.sql(g.function() + "(");
                    if (g.column() == null) {
                        out.sql("*");
                    } else {
                        out.sql(a + ".").ident(rel.column(g.column()));
                    }
                    out.sql(")");
                    if (g.cast() != null) {
                        out.sql("::" + g.cast());
                    }
                    out.sql(" AS ").ident(g.key());
                }
            }
        }
        return out;
    }

    /** {@code GROUP BY} the plain columns when the items aggregate (empty text otherwise), as PostgREST 12 groups. */
    SqlText groupBy(Relation rel, List<Select> items) {
        return groupBy(rel, items, 0);
    }

    private SqlText groupBy(Relation rel, List<Select> items, int depth) {
        SqlText out = new SqlText();
        if (items.stream().noneMatch(i -> i instanceof Select.Aggregate)) {
            return out;
        }
        for (Select item : items) {
            switch (item) {
                case Select.Column c -> out.sql(out.isEmpty() ? " GROUP BY " : ", ").sql(alias(depth) + ".").ident(rel.column(c.name()));
                case Select.Star s -> throw PostgrestException.parse("\"* cannot be combined with aggregates\"",
                        "name the columns to group by");
                case Select.Embed e -> throw PostgrestException.parse("\"embeds cannot be combined with top-level aggregates\"",
                        "aggregate inside the embed or name plain columns");
                case Select.Aggregate g -> { }
            }
        }
        return out;
    }

    private SqlText embed(Relation from, Select.Embed e, int depth) {
        SchemaCache.Join join = cache.join(from, e.relation());
        Relation target = join.target();
        String outer = alias(depth);
        String inner = alias(depth + 1);
        SqlText sub = new SqlText().sql("SELECT ").append(items(target, e.items(), depth + 1))
                .sql(" FROM " + target.qualified() + " " + inner + " WHERE ");
        List<String> fromCols = join.toOne() ? join.key().fromColumns() : join.key().toColumns();
        List<String> targetCols = join.toOne() ? join.key().toColumns() : join.key().fromColumns();
        for (int i = 0; i < fromCols.size(); i++) {
            if (i > 0) {
                sub.sql(" AND ");
            }
            sub.sql(inner + ".").ident(targetCols.get(i)).sql(" = " + outer + ".").ident(fromCols.get(i));
        }
        sub.append(groupBy(target, e.items(), depth + 1));
        String row = "_e" + (depth + 1);
        SqlText out = new SqlText().sql("(SELECT ");
        out.sql(join.toOne() ? "row_to_json(" + row + ")" : "coalesce(json_agg(" + row + "), '[]')");
        out.sql(" FROM (").append(sub).sql(") " + row + ") AS ").ident(e.alias() != null ? e.alias() : e.relation());
        return out;
    }

    /** {@code WHERE …} for the conditions (empty text when there are none). */
    SqlText where(Relation rel, List<Condition> conditions) {
        SqlText out = new SqlText();
        for (Condition c : conditions) {
            out.sql(out.isEmpty() ? " WHERE " : " AND ").append(condition(rel, c));
        }
        return out;
    }

    private SqlText condition(Relation rel, Condition c) {
        return switch (c) {
            case Condition.Logic l -> {
                SqlText out = new SqlText().sql(l.negated() ? "NOT (" : "(");
                for (int i = 0; i < l.children().size(); i++) {
                    if (i > 0) {
                        out.sql(l.and() ? " AND " : " OR ");
                    }
                    out.append(condition(rel, l.children().get(i)));
                }
                yield out.sql(")");
            }
            case Condition.Compare cmp -> {
                SqlText out = new SqlText().sql(cmp.negated() ? "NOT (" : "(");
                String type = rel.columns().get(rel.column(cmp.column()));
                out.sql(alias(0) + ".").ident(cmp.column());
                switch (cmp.op()) {
                    case "in" -> {
                        out.sql(" IN (");
                        if (cmp.values().isEmpty()) {
                            out.sql("NULL"); // in.() matches nothing, as in PostgREST
                        }
                        for (int i = 0; i < cmp.values().size(); i++) {
                            if (i > 0) {
                                out.sql(", ");
                            }
                            out.value(cmp.values().get(i), type);
                        }
                        out.sql(")");
                    }
                    case "is" -> out.sql(" " + Condition.IS_VALUES.get(cmp.value()));
                    default -> {
                        if (Condition.FULL_TEXT.containsKey(cmp.op())) {
                            out.sql(" @@ " + Condition.FULL_TEXT.get(cmp.op()) + "(");
                            if (cmp.modifier() != null) {
                                out.value(cmp.modifier(), "regconfig").sql(", ");
                            }
                            out.value(cmp.value(), "text").sql(")");
                        } else if (Condition.TEXT_OPERATORS.contains(cmp.op())) {
                            out.sql("::text " + Condition.BINARY.get(cmp.op()) + " ").value(cmp.value(), "text");
                        } else {
                            out.sql(" " + Condition.BINARY.get(cmp.op()) + " ").value(cmp.value(), type);
                        }
                    }
                }
                yield out.sql(")");
            }
        };
    }

    SqlText orderBy(Relation rel, List<Order> orders) {
        SqlText out = new SqlText();
        for (Order o : orders) {
            out.sql(out.isEmpty() ? " ORDER BY " : ", ").sql(alias(0) + ".").ident(rel.column(o.column()))
                    .sql(o.descending() ? " DESC" : " ASC");
            if (o.nullsFirst() != null) {
                out.sql(o.nullsFirst() ? " NULLS FIRST" : " NULLS LAST");
            }
        }
        return out;
    }
}
