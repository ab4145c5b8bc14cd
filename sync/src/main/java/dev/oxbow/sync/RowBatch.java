package dev.oxbow.sync;

import io.delta.kernel.data.ColumnVector;
import io.delta.kernel.data.ColumnarBatch;
import io.delta.kernel.types.DataType;
import io.delta.kernel.types.StructType;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;

/**
 * In-memory rows as a Kernel {@link ColumnarBatch}, for writing Delta files. Values are Java objects:
 * Long, Integer, Short, Byte, Boolean, Float, Double, BigDecimal, String, byte[], LocalDate (DATE),
 * Instant (TIMESTAMP), LocalDateTime (TIMESTAMP_NTZ); null for NULL.
 */
public final class RowBatch implements ColumnarBatch {
    private final StructType schema;
    private final List<Object[]> rows;

    public RowBatch(StructType schema, List<Object[]> rows) {
        this.schema = schema;
        this.rows = rows;
    }

    @Override
    public StructType getSchema() {
        return schema;
    }

    @Override
    public ColumnVector getColumnVector(int ordinal) {
        return new Column(schema.at(ordinal).getDataType(), ordinal);
    }

    @Override
    public int getSize() {
        return rows.size();
    }

    private final class Column implements ColumnVector {
        private final DataType type;
        private final int ordinal;

        Column(DataType type, int ordinal) {
            this.type = type;
            this.ordinal = ordinal;
        }

        private Object value(int row) {
            return rows.get(row)[ordinal];
        }

        @Override public DataType getDataType() { return type; }
        @Override public int getSize() { return rows.size(); }
        @Override public void close() {}
        @Override public boolean isNullAt(int row) { return value(row) == null; }
        @Override public boolean getBoolean(int row) { return (Boolean) value(row); }
        @Override public byte getByte(int row) { return ((Number) value(row)).byteValue(); }
        @Override public short getShort(int row) { return ((Number) value(row)).shortValue(); }
        @Override public float getFloat(int row) { return ((Number) value(row)).floatValue(); }
        @Override public double getDouble(int row) { return ((Number) value(row)).doubleValue(); }
        @Override public BigDecimal getDecimal(int row) { return (BigDecimal) value(row); }
        @Override public String getString(int row) { return value(row).toString(); }

        @Override
        public byte[] getBinary(int row) {
            Object v = value(row);
            return v instanceof byte[] b ? b : v.toString().getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public int getInt(int row) {
            Object v = value(row);
            return v instanceof LocalDate d ? (int) d.toEpochDay() : ((Number) v).intValue();
        }

        @Override
        public long getLong(int row) {
            Object v = value(row);
            if (v instanceof Instant i) return ChronoUnit.MICROS.between(Instant.EPOCH, i);
            if (v instanceof LocalDateTime t) return ChronoUnit.MICROS.between(Instant.EPOCH, t.toInstant(ZoneOffset.UTC));
            return ((Number) v).longValue();
        }
    }
}
