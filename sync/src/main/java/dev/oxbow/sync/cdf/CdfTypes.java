package dev.oxbow.sync.cdf;

import io.delta.kernel.data.ColumnVector;
import io.delta.kernel.types.BinaryType;
import io.delta.kernel.types.BooleanType;
import io.delta.kernel.types.DataType;
import io.delta.kernel.types.DateType;
import io.delta.kernel.types.DecimalType;
import io.delta.kernel.types.DoubleType;
import io.delta.kernel.types.FloatType;
import io.delta.kernel.types.IntegerType;
import io.delta.kernel.types.LongType;
import io.delta.kernel.types.ShortType;
import io.delta.kernel.types.StringType;
import io.delta.kernel.types.TimestampNTZType;
import io.delta.kernel.types.TimestampType;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.temporal.ChronoField;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;

/**
 * Postgres column types as Delta types, the inverse of the synced-table mapping (README "Change feeds"):
 * <pre>
 * boolean → boolean          smallint → short      integer → int        bigint → long
 * real → float               double precision → double
 * numeric(p,s), p ≤ 38 → decimal(p,s)             numeric (unconstrained or p > 38) → string
 * date → date                timestamp → timestamp_ntz                  timestamptz → timestamp (UTC)
 * bytea → binary             anything else (text, varchar, uuid, json, jsonb, arrays, enums, …) → string (its text form)
 * </pre>
 * Values come from pgoutput in text form in a session with {@link #SESSION_OPTIONS}; values Delta cannot hold
 * (NaN numerics, infinite dates and timestamps) become NULL.
 */
public final class CdfTypes {
    /** The session settings that fix the text forms parsed here. */
    public static final String SESSION_OPTIONS = "-c DateStyle=ISO,YMD -c TimeZone=UTC -c IntervalStyle=postgres -c bytea_output=hex -c extra_float_digits=3";

    static final int BOOL = 16, BYTEA = 17, INT8 = 20, INT2 = 21, INT4 = 23, FLOAT4 = 700, FLOAT8 = 701, DATE = 1082,
            TIMESTAMP = 1114, TIMESTAMPTZ = 1184, NUMERIC = 1700;

    private static final DateTimeFormatter LOCAL = new DateTimeFormatterBuilder().appendPattern("uuuu-MM-dd HH:mm:ss")
            .optionalStart().appendFraction(ChronoField.NANO_OF_SECOND, 0, 9, true).optionalEnd().toFormatter();
    private static final DateTimeFormatter OFFSET = new DateTimeFormatterBuilder().append(LOCAL).appendPattern("X").toFormatter();

    private CdfTypes() {}

    public static DataType deltaType(int typeOid, int typeModifier) {
        return switch (typeOid) {
            case BOOL -> BooleanType.BOOLEAN;
            case INT2 -> ShortType.SHORT;
            case INT4 -> IntegerType.INTEGER;
            case INT8 -> LongType.LONG;
            case FLOAT4 -> FloatType.FLOAT;
            case FLOAT8 -> DoubleType.DOUBLE;
            case NUMERIC -> {
                if (typeModifier < 4) yield StringType.STRING;
                int precision = ((typeModifier - 4) >> 16) & 0xffff;
                int scale = (typeModifier - 4) & 0xffff;
                yield precision <= 38 && scale <= precision ? new DecimalType(precision, scale) : StringType.STRING;
            }
            case DATE -> DateType.DATE;
            case TIMESTAMP -> TimestampNTZType.TIMESTAMP_NTZ;
            case TIMESTAMPTZ -> TimestampType.TIMESTAMP;
            case BYTEA -> BinaryType.BINARY;
            default -> StringType.STRING;
        };
    }

    /** The Java value {@code RowBatch} writes for {@code text} of a column of Delta type {@code type}. */
    public static Object value(DataType type, String text) {
        if (text == null) return null;
        if (type instanceof BooleanType) return text.equals("t") || text.equals("true"); // pgoutput sends t, a ::text cast true
        if (type instanceof ShortType) return Short.parseShort(text);
        if (type instanceof IntegerType) return Integer.parseInt(text);
        if (type instanceof LongType) return Long.parseLong(text);
        if (type instanceof FloatType) return Float.parseFloat(text);
        if (type instanceof DoubleType) return Double.parseDouble(text);
        if (type instanceof DecimalType d) {
            return text.equals("NaN") || text.endsWith("Infinity") ? null : new BigDecimal(text).setScale(d.getScale(), RoundingMode.UNNECESSARY);
        }
        if (type instanceof DateType) return text.endsWith("infinity") || text.endsWith(" BC") ? null : LocalDate.parse(text);
        if (type instanceof TimestampNTZType) return text.endsWith("infinity") || text.endsWith(" BC") ? null : LocalDateTime.parse(text, LOCAL);
        if (type instanceof TimestampType) {
            return text.endsWith("infinity") || text.endsWith(" BC") ? null : OffsetDateTime.parse(text, OFFSET).toInstant();
        }
        if (type instanceof BinaryType) return HexFormat.of().parseHex(text.substring(2));
        return text;
    }

    /** The Java value at {@code row} of a vector read back from a data file, in the same forms {@link #value} makes. */
    public static Object read(ColumnVector v, int row) {
        if (v.isNullAt(row)) return null;
        DataType t = v.getDataType();
        if (t instanceof BooleanType) return v.getBoolean(row);
        if (t instanceof ShortType) return v.getShort(row);
        if (t instanceof IntegerType) return v.getInt(row);
        if (t instanceof LongType) return v.getLong(row);
        if (t instanceof FloatType) return v.getFloat(row);
        if (t instanceof DoubleType) return v.getDouble(row);
        if (t instanceof DecimalType) return v.getDecimal(row);
        if (t instanceof DateType) return LocalDate.ofEpochDay(v.getInt(row));
        if (t instanceof TimestampNTZType) return LocalDateTime.ofEpochSecond(0, 0, ZoneOffset.UTC).plus(v.getLong(row), ChronoUnit.MICROS);
        if (t instanceof TimestampType) return Instant.EPOCH.plus(v.getLong(row), ChronoUnit.MICROS);
        if (t instanceof BinaryType) return v.getBinary(row);
        return v.getString(row);
    }
}
