package dev.oxbow.dataapi;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the exposed schemas hold, read from the catalog once: relations with their columns (and each column's type as
 * the catalog spells it), primary keys, foreign keys, and functions. Every identifier a request names must be found
 * here before it reaches SQL — the allow-list behind the Data API — and embedding follows the foreign keys found here.
 */
public record SchemaCache(List<String> schemas, Map<String, Relation> relations, Map<String, Function> functions,
                          List<ForeignKey> foreignKeys) {

    public record Relation(String schema, String name, Map<String, String> columns, List<String> primaryKey, boolean insertable) {
        String qualified() {
            return SqlText.quote(schema) + "." + SqlText.quote(name);
        }

        String column(String column) {
            if (!columns.containsKey(column)) {
                throw PostgrestException.noColumn(name, column);
            }
            return column;
        }
    }

    /** {@code from.fromColumns} references {@code to.toColumns}. */
    public record ForeignKey(String name, String fromSchema, String fromTable, List<String> fromColumns,
                             String toSchema, String toTable, List<String> toColumns) {}

    public record Argument(String name, String type, boolean hasDefault) {}

    public record Function(String schema, String name, List<Argument> arguments, String returnType, boolean returnsSet,
                           boolean returnsRow, boolean isVolatile) {
        String qualified() {
            return SqlText.quote(schema) + "." + SqlText.quote(name);
        }
    }

    private static final String RELATIONS = """
            SELECT n.nspname, c.relname, c.relkind IN ('r','p') AS insertable,
                   array_agg(a.attname ORDER BY a.attnum), array_agg(format_type(a.atttypid, a.atttypmod) ORDER BY a.attnum)
            FROM pg_catalog.pg_class c
            JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
            WHERE n.nspname = ANY (?) AND c.relkind IN ('r','p','v','m','f')
            GROUP BY n.nspname, c.relname, c.relkind""";

    private static final String PRIMARY_KEYS = """
            SELECT n.nspname, c.relname, array_agg(a.attname ORDER BY array_position(k.conkey, a.attnum))
            FROM pg_catalog.pg_constraint k
            JOIN pg_catalog.pg_class c ON c.oid = k.conrelid
            JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY (k.conkey)
            WHERE k.contype = 'p' AND n.nspname = ANY (?)
            GROUP BY n.nspname, c.relname""";

    private static final String FOREIGN_KEYS = """
            SELECT k.conname, fn.nspname, fc.relname,
                   (SELECT array_agg(a.attname ORDER BY u.i) FROM unnest(k.conkey) WITH ORDINALITY u(n, i)
                      JOIN pg_catalog.pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n),
                   tn.nspname, tc.relname,
                   (SELECT array_agg(a.attname ORDER BY u.i) FROM unnest(k.confkey) WITH ORDINALITY u(n, i)
                      JOIN pg_catalog.pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.n)
            FROM pg_catalog.pg_constraint k
            JOIN pg_catalog.pg_class fc ON fc.oid = k.conrelid JOIN pg_catalog.pg_namespace fn ON fn.oid = fc.relnamespace
            JOIN pg_catalog.pg_class tc ON tc.oid = k.confrelid JOIN pg_catalog.pg_namespace tn ON tn.oid = tc.relnamespace
            WHERE k.contype = 'f' AND fn.nspname = ANY (?) AND tn.nspname = ANY (?)""";

    private static final String FUNCTIONS = """
            SELECT n.nspname, p.proname, coalesce(p.proargnames, '{}'), p.pronargs, p.pronargdefaults,
                   ARRAY(SELECT format_type(t, NULL) FROM unnest(p.proargtypes) t),
                   format_type(p.prorettype, NULL), p.proretset, rt.typtype = 'c' OR p.prorettype = 'pg_catalog.record'::regtype,
                   p.provolatile = 'v'
            FROM pg_catalog.pg_proc p
            JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
            JOIN pg_catalog.pg_type rt ON rt.oid = p.prorettype
            WHERE n.nspname = ANY (?) AND p.prokind = 'f'
              AND (p.proargmodes IS NULL OR NOT (p.proargmodes && ARRAY['o','b','t','v']::"char"[]))""";

    public static SchemaCache load(Connection c, List<String> schemas) throws SQLException {
        Array names = c.createArrayOf("text", schemas.toArray());
        Map<String, List<String>> keys = new LinkedHashMap<>();
        try (PreparedStatement ps = c.prepareStatement(PRIMARY_KEYS)) {
            ps.setArray(1, names);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    keys.put(rs.getString(1) + "." + rs.getString(2), strings(rs.getArray(3)));
                }
            }
        }
        Map<String, Relation> relations = new LinkedHashMap<>();
        try (PreparedStatement ps = c.prepareStatement(RELATIONS)) {
            ps.setArray(1, names);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    List<String> cols = strings(rs.getArray(4));
                    List<String> types = strings(rs.getArray(5));
                    Map<String, String> columns = new LinkedHashMap<>();
                    for (int i = 0; i < cols.size(); i++) {
                        columns.put(cols.get(i), types.get(i));
                    }
                    String key = rs.getString(1) + "." + rs.getString(2);
                    relations.put(key, new Relation(rs.getString(1), rs.getString(2), columns, keys.getOrDefault(key, List.of()),
                            rs.getBoolean(3)));
                }
            }
        }
        List<ForeignKey> fks = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(FOREIGN_KEYS)) {
            ps.setArray(1, names);
            ps.setArray(2, names);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    fks.add(new ForeignKey(rs.getString(1), rs.getString(2), rs.getString(3), strings(rs.getArray(4)),
                            rs.getString(5), rs.getString(6), strings(rs.getArray(7))));
                }
            }
        }
        Map<String, Function> functions = new LinkedHashMap<>();
        try (PreparedStatement ps = c.prepareStatement(FUNCTIONS)) {
            ps.setArray(1, names);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    List<String> argNames = strings(rs.getArray(3));
                    int nargs = rs.getInt(4);
                    int defaults = rs.getInt(5);
                    List<String> argTypes = strings(rs.getArray(6));
                    List<Argument> args = new ArrayList<>();
                    for (int i = 0; i < nargs; i++) {
                        String n = i < argNames.size() ? argNames.get(i) : "";
                        args.add(new Argument(n, argTypes.get(i), i >= nargs - defaults));
                    }
                    // overloaded names: the first one wins, as PostgREST picks by argument names (kept simple here)
                    functions.putIfAbsent(rs.getString(1) + "." + rs.getString(2), new Function(rs.getString(1), rs.getString(2),
                            List.copyOf(args), rs.getString(7), rs.getBoolean(8), rs.getBoolean(9), rs.getBoolean(10)));
                }
            }
        }
        return new SchemaCache(List.copyOf(schemas), Map.copyOf(relations), Map.copyOf(functions), List.copyOf(fks));
    }

    public Relation relation(String schema, String name) {
        Relation r = relations.get(schema + "." + name);
        if (r == null) {
            throw PostgrestException.noRelation(schema, name);
        }
        return r;
    }

    public Function function(String schema, String name) {
        Function f = functions.get(schema + "." + name);
        if (f == null) {
            throw new PostgrestException(404, "PGRST202", "Could not find the function " + schema + "." + name + " in the schema cache",
                    null, "Functions of the exposed schemas are served; check the name and db_schemas.");
        }
        return f;
    }

    /** How {@code from} reaches a relation named {@code target}: many-to-one (from holds the key) or one-to-many. */
    public record Join(Relation target, ForeignKey key, boolean toOne) {}

    Join join(Relation from, String target) {
        List<Join> found = new ArrayList<>();
        for (ForeignKey fk : foreignKeys) {
            if (fk.fromSchema().equals(from.schema()) && fk.fromTable().equals(from.name()) && fk.toTable().equals(target)) {
                found.add(new Join(relations.get(fk.toSchema() + "." + fk.toTable()), fk, true));
            } else if (fk.toSchema().equals(from.schema()) && fk.toTable().equals(from.name()) && fk.fromTable().equals(target)) {
                found.add(new Join(relations.get(fk.fromSchema() + "." + fk.fromTable()), fk, false));
            }
        }
        found.removeIf(j -> j.target() == null);
        if (found.isEmpty()) {
            throw new PostgrestException(400, "PGRST200", "Could not find a relationship between '" + from.name() + "' and '"
                    + target + "' in the schema cache", null, "Embedding follows foreign keys between exposed tables.");
        }
        if (found.size() > 1) {
            throw new PostgrestException(300, "PGRST201", "Could not embed because more than one relationship was found for '"
                    + from.name() + "' and '" + target + "'", null, null);
        }
        return found.get(0);
    }

    private static List<String> strings(Array a) throws SQLException {
        if (a == null) {
            return List.of();
        }
        Object[] values = (Object[]) a.getArray();
        return Arrays.stream(values).map(v -> v == null ? null : v.toString()).toList();
    }
}
