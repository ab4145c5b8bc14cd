package dev.oxbow.dataapi;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs a request's statements in one round trip to Postgres: the request's settings (role, search path, statement
 * timeout, claims) and then its statements, sent by pgjdbc as one pipeline ending in a single Sync, which Postgres runs
 * as one implicit transaction — all of it commits, or an error rolls all of it back. Postgres re-arms the statement
 * timeout at each statement of a pipeline, so the timeout set first applies to the statements after it. The connection
 * must be in auto-commit mode (no BEGIN/COMMIT round trips).
 */
final class OneTrip {
    /** One statement's rows as text, with the column labels. */
    record Result(List<String> labels, List<String[]> rows) {
        String cell(int row, int column) {
            return rows.get(row)[column];
        }
    }

    private OneTrip() {}

    /** The results of {@code statements} (the prelude's own is dropped), in order. */
    static List<Result> run(Connection c, SqlText prelude, List<SqlText> statements) throws SQLException {
        if (!c.getAutoCommit()) {
            throw new IllegalStateException("one-trip requests need an auto-commit connection");
        }
        SqlText all = new SqlText().append(prelude);
        for (SqlText s : statements) {
            all.sql(";\n").append(s);
        }
        List<Result> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(all.text())) {
            List<Object> params = all.params();
            for (int i = 0; i < params.size(); i++) {
                Object v = params.get(i);
                if (v == null) {
                    ps.setNull(i + 1, java.sql.Types.VARCHAR);
                } else if (v instanceof Long l) {
                    ps.setLong(i + 1, l);
                } else {
                    ps.setString(i + 1, v.toString());
                }
            }
            boolean isResultSet = ps.execute();
            int index = 0;
            while (true) {
                if (isResultSet) {
                    try (ResultSet rs = ps.getResultSet()) {
                        Result r = read(rs);
                        if (index > 0) {
                            out.add(r);
                        }
                    }
                } else if (ps.getUpdateCount() == -1) {
                    break;
                } else if (index > 0) {
                    out.add(new Result(List.of(), List.of()));
                }
                index++;
                isResultSet = ps.getMoreResults();
            }
        }
        if (out.size() != statements.size()) {
            throw new IllegalStateException("expected " + statements.size() + " results, got " + out.size());
        }
        return out;
    }

    private static Result read(ResultSet rs) throws SQLException {
        ResultSetMetaData md = rs.getMetaData();
        int n = md.getColumnCount();
        List<String> labels = new ArrayList<>(n);
        for (int i = 1; i <= n; i++) {
            labels.add(md.getColumnLabel(i));
        }
        List<String[]> rows = new ArrayList<>();
        while (rs.next()) {
            String[] row = new String[n];
            for (int i = 0; i < n; i++) {
                row[i] = rs.getString(i + 1);
            }
            rows.add(row);
        }
        return new Result(List.copyOf(labels), rows);
    }
}
