package dev.oxbow.controlplane.diff;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A table on one branch, asked through SQL: every range condition is a row comparison on the primary key, so it is an
 * index range scan; rows are hashed in the server ({@code hashtextextended} of the compared columns' row) and only
 * counts, sums, cut keys and, for small ranges, key/hash pairs come back. Key values are bound as parameters of
 * unknown type, which the server reads as the key column's type. The connection is the diff role's, in one
 * read-only repeatable-read transaction, so every question sees the same snapshot.
 */
final class JdbcTableSide implements TableSide {
    private final Connection c;
    private final TableShape shape;
    private final DiffStats stats;
    private final String table;
    private final String key;
    private final String rowHash;
    private final String keyText;

    JdbcTableSide(Connection c, TableShape shape, DiffStats stats) {
        this.c = c;
        this.shape = shape;
        this.stats = stats;
        this.table = (shape.partitioned() ? "" : "ONLY ") + Ident.qualified(shape.schema(), shape.table());
        this.key = "(" + Ident.list(shape.keyColumns()) + ")";
        this.rowHash = "pg_catalog.hashtextextended(ROW("
                + shape.comparedColumns().stream().map(col -> "t." + Ident.quote(col)).collect(Collectors.joining(", ")) + ")::pg_catalog.text, 0)";
        this.keyText = shape.keyColumns().stream().map(col -> "t." + Ident.quote(col) + "::pg_catalog.text").collect(Collectors.joining(", "));
    }

    @Override
    public List<RangeSummary> summarize(KeyRange range, List<List<String>> points) {
        List<List<String>> params = new ArrayList<>();
        StringBuilder bucket = new StringBuilder();
        if (points.isEmpty()) {
            bucket.append("0");
        } else {
            bucket.append("CASE");
            for (int i = 0; i < points.size(); i++) {
                bucket.append(" WHEN ").append(key).append(" < ").append(placeholders()).append(" THEN ").append(i);
                params.add(points.get(i));
            }
            bucket.append(" ELSE ").append(points.size()).append(" END");
        }
        List<List<String>> bounds = new ArrayList<>();
        String where = where(range, bounds);
        List<List<String>> all = new ArrayList<>(params);
        all.addAll(bounds);
        String sql = "SELECT b, pg_catalog.count(*), pg_catalog.sum(h)::pg_catalog.text FROM (SELECT " + bucket + " AS b, " + rowHash
                + " AS h FROM " + table + " t" + where + ") s GROUP BY b";
        List<RangeSummary> out = new ArrayList<>();
        for (int i = 0; i <= points.size(); i++) {
            out.add(RangeSummary.EMPTY);
        }
        query(sql, all, rs -> {
            out.set(rs.getInt(1), new RangeSummary(rs.getLong(2), rs.getString(3)));
            return 16 + rs.getString(3).length();
        });
        return out;
    }

    @Override
    public List<List<String>> splitPoints(KeyRange range, long rows, int parts) {
        long step = Math.max(1, (rows + parts - 1) / parts);
        List<List<String>> bounds = new ArrayList<>();
        String where = where(range, bounds);
        // the keys get aliases of the diff's own (k1, k2, ...), so no column name can clash with the row number's
        List<String> inner = new ArrayList<>();
        List<String> outer = new ArrayList<>();
        for (int i = 0; i < shape.keyColumns().size(); i++) {
            inner.add("t." + Ident.quote(shape.keyColumns().get(i)) + " AS k" + (i + 1));
            outer.add("s.k" + (i + 1) + "::pg_catalog.text");
        }
        String sql = "SELECT " + String.join(", ", outer) + " FROM (SELECT " + String.join(", ", inner)
                + ", pg_catalog.row_number() OVER (ORDER BY " + keyOrder() + ") AS rn FROM " + table + " t" + where
                + ") s WHERE s.rn % " + step + " = 0 ORDER BY s.rn LIMIT " + (parts - 1);
        List<List<String>> out = new ArrayList<>();
        query(sql, bounds, rs -> {
            List<String> k = keyOf(rs, 1);
            out.add(k);
            return bytes(k);
        });
        return out;
    }

    @Override
    public Map<List<String>, Long> rowHashes(KeyRange range) {
        List<List<String>> bounds = new ArrayList<>();
        String where = where(range, bounds);
        String sql = "SELECT " + keyText + ", " + rowHash + " FROM " + table + " t" + where + " ORDER BY " + keyOrder();
        Map<List<String>, Long> out = new LinkedHashMap<>();
        query(sql, bounds, rs -> {
            List<String> k = keyOf(rs, 1);
            out.put(k, rs.getLong(shape.keyColumns().size() + 1));
            return bytes(k) + 8;
        });
        return out;
    }

    /** The compared columns of the row with that key, as JSON text, or null when there is none. */
    String rowJson(List<String> keyValue) {
        String sql = "SELECT pg_catalog.to_jsonb(r)::pg_catalog.text FROM (SELECT " + shape.comparedColumns().stream()
                .map(col -> "t." + Ident.quote(col)).collect(Collectors.joining(", ")) + " FROM " + table + " t WHERE "
                + keyIn("t") + " = " + placeholders() + ") r";
        String[] found = {null};
        query(sql, List.of(keyValue), rs -> {
            found[0] = rs.getString(1);
            return found[0].length();
        });
        return found[0];
    }

    private String keyIn(String alias) {
        return "(" + shape.keyColumns().stream().map(col -> alias + "." + Ident.quote(col)).collect(Collectors.joining(", ")) + ")";
    }

    private String keyOrder() {
        return shape.keyColumns().stream().map(col -> "t." + Ident.quote(col)).collect(Collectors.joining(", "));
    }

    private String placeholders() {
        return "(" + shape.keyColumns().stream().map(col -> "?").collect(Collectors.joining(", ")) + ")";
    }

    private String where(KeyRange range, List<List<String>> bounds) {
        List<String> conditions = new ArrayList<>();
        if (range.low() != null) {
            conditions.add(keyIn("t") + " >= " + placeholders());
            bounds.add(range.low());
        }
        if (range.high() != null) {
            conditions.add(keyIn("t") + " < " + placeholders());
            bounds.add(range.high());
        }
        return conditions.isEmpty() ? "" : " WHERE " + String.join(" AND ", conditions);
    }

    private List<String> keyOf(ResultSet rs, int first) throws SQLException {
        List<String> k = new ArrayList<>(shape.keyColumns().size());
        for (int i = 0; i < shape.keyColumns().size(); i++) {
            k.add(rs.getString(first + i));
        }
        return k;
    }

    private static long bytes(List<String> k) {
        return k.stream().mapToLong(String::length).sum();
    }

    private interface RowReader {
        /** Reads one row and says how many bytes of values it carried. */
        long read(ResultSet rs) throws SQLException;
    }

    private void query(String sql, List<List<String>> keys, RowReader reader) {
        stats.query();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            int i = 1;
            for (List<String> k : keys) {
                for (String v : k) {
                    ps.setObject(i++, v, Types.OTHER);
                }
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    stats.row(reader.read(rs));
                }
            }
        } catch (SQLException e) {
            throw new DiffFailure("Reading " + shape.displayName() + " failed: " + e.getMessage(), e);
        }
    }
}
