package dev.oxbow.dataapi;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A horizontal filter in PostgREST's grammar: {@code col=op.value}, {@code col=not.op.value}, and the trees
 * {@code or=(a.eq.1,and(b.gt.2,c.is.null))}. Only the operators below exist; anything else is a parse error.
 */
sealed interface Condition {

    /** {@code column op value}; {@code modifier} is an fts language ({@code fts(english)}). */
    record Compare(String column, String op, String modifier, String value, List<String> values, boolean negated) implements Condition {}

    record Logic(boolean and, List<Condition> children, boolean negated) implements Condition {}

    Map<String, String> BINARY = Map.ofEntries(
            Map.entry("eq", "="), Map.entry("neq", "<>"), Map.entry("gt", ">"), Map.entry("gte", ">="),
            Map.entry("lt", "<"), Map.entry("lte", "<="), Map.entry("like", "LIKE"), Map.entry("ilike", "ILIKE"),
            Map.entry("match", "~"), Map.entry("imatch", "~*"), Map.entry("isdistinct", "IS DISTINCT FROM"),
            Map.entry("cs", "@>"), Map.entry("cd", "<@"), Map.entry("ov", "&&"), Map.entry("sl", "<<"),
            Map.entry("sr", ">>"), Map.entry("nxr", "&<"), Map.entry("nxl", "&>"), Map.entry("adj", "-|-"));

    Map<String, String> FULL_TEXT = Map.of("fts", "to_tsquery", "plfts", "plainto_tsquery",
            "phfts", "phraseto_tsquery", "wfts", "websearch_to_tsquery");

    /** Text operators compare against text whatever the column's type. */
    Set<String> TEXT_OPERATORS = Set.of("like", "ilike", "match", "imatch");

    Map<String, String> IS_VALUES = Map.of("null", "IS NULL", "not_null", "IS NOT NULL", "true", "IS TRUE",
            "false", "IS FALSE", "unknown", "IS UNKNOWN");
}
