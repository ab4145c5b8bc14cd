package dev.oxbow.controlplane.diff;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The tables whose rows the diff can read on one branch: columns, primary key columns (in key order) and size on disk. */
final class DataTables {
    record Table(String schema, String name, boolean partitioned, List<String> columns, List<String> keyColumns, long bytes) {
        String identity() {
            return schema + "." + name;
        }
    }

    private DataTables() {}

    /** Tables and partitioned tables (never a partition: its parent's rows include it), by {@code schema.table}. */
    static Map<String, Table> read(Connection c, DiffStats stats) {
        String sql = "SELECT n.nspname, c.relname, c.relkind = 'p',"
                + " ARRAY(SELECT a.attname::pg_catalog.text FROM pg_catalog.pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0"
                + "   AND NOT a.attisdropped ORDER BY a.attnum),"
                + " ARRAY(SELECT a.attname::pg_catalog.text FROM pg_catalog.pg_constraint co CROSS JOIN LATERAL pg_catalog.unnest(co.conkey) WITH ORDINALITY k(attnum, i)"
                + "   JOIN pg_catalog.pg_attribute a ON a.attrelid = co.conrelid AND a.attnum = k.attnum"
                + "   WHERE co.conrelid = c.oid AND co.contype = 'p' ORDER BY k.i),"
                + " pg_catalog.pg_total_relation_size(c.oid)"
                + " FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'"
                + " ORDER BY 1, 2";
        Map<String, Table> out = new LinkedHashMap<>();
        stats.query();
        try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                Table t = new Table(rs.getString(1), rs.getString(2), rs.getBoolean(3), strings(rs.getArray(4)), strings(rs.getArray(5)), rs.getLong(6));
                stats.row(t.identity().length() + String.join("", t.columns()).length());
                out.put(t.identity(), t);
            }
        } catch (SQLException e) {
            throw new DiffFailure("Reading the list of tables failed: " + e.getMessage(), e);
        }
        return out;
    }

    private static List<String> strings(Array a) throws SQLException {
        return a == null ? List.of() : Arrays.asList((String[]) a.getArray());
    }
}
