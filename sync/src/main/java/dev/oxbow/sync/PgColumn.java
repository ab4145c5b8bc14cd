package dev.oxbow.sync;

import io.delta.kernel.data.ColumnVector;

import java.sql.SQLException;

/** One Delta column as it lands in Postgres: its name, Postgres type and binary COPY encoder. */
record PgColumn(String name, String deltaType, String pgType, Encoder encoder) {
    interface Encoder {
        /** Writes the (non-null) value at {@code row} as one COPY field. */
        void write(ColumnVector v, int row, CopyBuffer out) throws SQLException, SyncException;
    }

    String quotedName() {
        return Sql.ident(name);
    }
}
