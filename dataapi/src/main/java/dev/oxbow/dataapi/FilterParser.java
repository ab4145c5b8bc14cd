package dev.oxbow.dataapi;

import java.util.ArrayList;
import java.util.List;

/** Parses PostgREST filter values and logic trees into {@link Condition}s. */
final class FilterParser {
    private FilterParser() {}

    /** {@code column=<expr>}: {@code [not.]op[(modifier)].value}. */
    static Condition.Compare compare(String column, String expr) {
        boolean negated = false;
        if (expr.startsWith("not.")) {
            negated = true;
            expr = expr.substring(4);
        }
        int dot = expr.indexOf('.');
        if (dot < 0) {
            throw PostgrestException.parse("\"failed to parse filter (" + expr + ")\"",
                    "a filter is operator.value, e.g. eq.5, in.(1,2), is.null");
        }
        String op = expr.substring(0, dot);
        String value = expr.substring(dot + 1);
        String modifier = null;
        int paren = op.indexOf('(');
        if (paren > 0 && op.endsWith(")")) {
            modifier = op.substring(paren + 1, op.length() - 1);
            op = op.substring(0, paren);
            if (!Condition.FULL_TEXT.containsKey(op)) {
                throw PostgrestException.parse("\"failed to parse filter (" + expr + ")\"", "only fts operators take a (language)");
            }
        }
        if (op.equals("in")) {
            if (!value.startsWith("(") || !value.endsWith(")")) {
                throw PostgrestException.parse("\"failed to parse filter (in." + value + ")\"", "in takes a list: in.(a,b,c)");
            }
            List<String> items = split(value.substring(1, value.length() - 1)).stream().map(FilterParser::unquote).toList();
            return new Condition.Compare(column, op, null, null, items, negated);
        }
        if (op.equals("is")) {
            if (!Condition.IS_VALUES.containsKey(value.toLowerCase(java.util.Locale.ROOT))) {
                throw PostgrestException.parse("\"failed to parse filter (is." + value + ")\"", "is takes null, not_null, true, false or unknown");
            }
            return new Condition.Compare(column, op, null, value.toLowerCase(java.util.Locale.ROOT), List.of(), negated);
        }
        if (!Condition.BINARY.containsKey(op) && !Condition.FULL_TEXT.containsKey(op)) {
            throw PostgrestException.parse("\"failed to parse filter (" + op + "." + value + ")\"", "unknown operator " + op);
        }
        if (op.equals("like") || op.equals("ilike")) {
            value = value.replace('*', '%');
        }
        return new Condition.Compare(column, op, modifier, value, List.of(), negated);
    }

    /** {@code or=(...)}, {@code and=(...)}, {@code not.or=(...)}: a tree of conditions. */
    static Condition.Logic logic(boolean and, boolean negated, String expr) {
        if (!expr.startsWith("(") || !expr.endsWith(")")) {
            throw PostgrestException.parse("\"failed to parse logic tree (" + expr + ")\"", "expected (condition,condition,...)");
        }
        List<Condition> children = new ArrayList<>();
        for (String item : split(expr.substring(1, expr.length() - 1))) {
            children.add(item(item));
        }
        if (children.isEmpty()) {
            throw PostgrestException.parse("\"failed to parse logic tree (" + expr + ")\"", "a logic tree needs at least one condition");
        }
        return new Condition.Logic(and, List.copyOf(children), negated);
    }

    private static Condition item(String item) {
        boolean negated = item.startsWith("not.");
        String rest = negated ? item.substring(4) : item;
        if (rest.startsWith("and(") || rest.startsWith("or(")) {
            boolean and = rest.startsWith("and(");
            return logic(and, negated, rest.substring(and ? 3 : 2));
        }
        int dot = item.indexOf('.');
        if (dot <= 0) {
            throw PostgrestException.parse("\"failed to parse logic tree item (" + item + ")\"", "expected column.operator.value");
        }
        String column = item.substring(0, dot);
        Condition.Compare c = compare(column, item.substring(dot + 1));
        return c.value() == null ? c : new Condition.Compare(c.column(), c.op(), c.modifier(), unquote(c.value()), c.values(), c.negated());
    }

    /** Splits on commas outside parentheses and double quotes. */
    static List<String> split(String s) {
        List<String> out = new ArrayList<>();
        int depth = 0;
        boolean quoted = false;
        StringBuilder cur = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch == '\\' && quoted && i + 1 < s.length()) {
                cur.append(ch).append(s.charAt(++i));
                continue;
            }
            if (ch == '"') {
                quoted = !quoted;
            } else if (!quoted && ch == '(') {
                depth++;
            } else if (!quoted && ch == ')') {
                depth--;
            } else if (!quoted && depth == 0 && ch == ',') {
                out.add(cur.toString());
                cur.setLength(0);
                continue;
            }
            cur.append(ch);
        }
        if (quoted || depth != 0) {
            throw PostgrestException.parse("\"unbalanced quotes or parentheses (" + s + ")\"", null);
        }
        if (!cur.isEmpty() || !out.isEmpty()) {
            out.add(cur.toString());
        }
        return out;
    }

    static String unquote(String v) {
        if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) {
            return v.substring(1, v.length() - 1).replace("\\\"", "\"").replace("\\\\", "\\");
        }
        return v;
    }
}
