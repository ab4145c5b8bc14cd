package dev.oxbow.sync;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.delta.kernel.data.ArrayValue;
import io.delta.kernel.data.ColumnVector;
import io.delta.kernel.data.MapValue;
import io.delta.kernel.types.ArrayType;
import io.delta.kernel.types.BinaryType;
import io.delta.kernel.types.BooleanType;
import io.delta.kernel.types.ByteType;
import io.delta.kernel.types.DataType;
import io.delta.kernel.types.DateType;
import io.delta.kernel.types.DecimalType;
import io.delta.kernel.types.DoubleType;
import io.delta.kernel.types.FloatType;
import io.delta.kernel.types.IntegerType;
import io.delta.kernel.types.LongType;
import io.delta.kernel.types.MapType;
import io.delta.kernel.types.ShortType;
import io.delta.kernel.types.StringType;
import io.delta.kernel.types.StructField;
import io.delta.kernel.types.StructType;
import io.delta.kernel.types.TimestampNTZType;
import io.delta.kernel.types.TimestampType;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * Delta to Postgres types as Databricks maps them (reference/reverse-etl.md §1.7); ARRAY, MAP and STRUCT
 * become JSONB. Types with no mapping (VARIANT, GEOMETRY, GEOGRAPHY, …) are refused before anything is created.
 */
final class TypeMapping {
    /** Microseconds between 1970-01-01 (Delta) and 2000-01-01 (Postgres). */
    private static final long PG_EPOCH_MICROS = 946_684_800_000_000L;
    private static final int PG_EPOCH_DAYS = 10_957;
    private static final ObjectMapper JSON = new ObjectMapper();

    private TypeMapping() {}

    static List<PgColumn> columns(StructType schema) throws SyncException {
        List<PgColumn> out = new ArrayList<>();
        List<String> unsupported = new ArrayList<>();
        for (StructField f : schema.fields()) {
            PgColumn c = column(f.getName(), f.getDataType());
            if (c == null) {
                unsupported.add(f.getName() + " " + sqlName(f.getDataType()));
            } else {
                out.add(c);
            }
        }
        if (!unsupported.isEmpty()) {
            throw new SyncException("Source columns have types Postgres synced tables do not support: " + String.join(", ", unsupported)
                    + ". Supported: BIGINT, INT, SMALLINT, TINYINT, BOOLEAN, FLOAT, DOUBLE, DECIMAL, STRING, BINARY, DATE, TIMESTAMP,"
                    + " TIMESTAMP_NTZ, ARRAY, MAP, STRUCT.");
        }
        return out;
    }

    private static PgColumn column(String name, DataType t) {
        String delta = sqlName(t);
        if (t instanceof LongType) return new PgColumn(name, delta, "bigint", (v, r, o) -> o.int8(v.getLong(r)));
        if (t instanceof IntegerType) return new PgColumn(name, delta, "integer", (v, r, o) -> o.int4(v.getInt(r)));
        if (t instanceof ShortType) return new PgColumn(name, delta, "smallint", (v, r, o) -> o.int2(v.getShort(r)));
        if (t instanceof ByteType) return new PgColumn(name, delta, "smallint", (v, r, o) -> o.int2(v.getByte(r)));
        if (t instanceof BooleanType) return new PgColumn(name, delta, "boolean", (v, r, o) -> o.bool(v.getBoolean(r)));
        if (t instanceof FloatType) return new PgColumn(name, delta, "real", (v, r, o) -> o.int4(Float.floatToRawIntBits(v.getFloat(r))));
        if (t instanceof DoubleType) return new PgColumn(name, delta, "double precision", (v, r, o) -> o.int8(Double.doubleToRawLongBits(v.getDouble(r))));
        if (t instanceof DecimalType d) {
            return new PgColumn(name, delta, "numeric(" + d.getPrecision() + "," + d.getScale() + ")", (v, r, o) -> numeric(v.getDecimal(r), o));
        }
        if (t instanceof StringType) return new PgColumn(name, delta, "text", (v, r, o) -> o.text(text(name, v.getString(r))));
        if (t instanceof BinaryType) return new PgColumn(name, delta, "bytea", (v, r, o) -> o.bytes(v.getBinary(r)));
        if (t instanceof DateType) return new PgColumn(name, delta, "date", (v, r, o) -> o.int4(v.getInt(r) - PG_EPOCH_DAYS));
        if (t instanceof TimestampType) return new PgColumn(name, delta, "timestamp with time zone", (v, r, o) -> o.int8(v.getLong(r) - PG_EPOCH_MICROS));
        if (t instanceof TimestampNTZType) return new PgColumn(name, delta, "timestamp without time zone", (v, r, o) -> o.int8(v.getLong(r) - PG_EPOCH_MICROS));
        if ((t instanceof ArrayType || t instanceof MapType || t instanceof StructType) && nestedSupported(t)) {
            return new PgColumn(name, delta, "jsonb", (v, r, o) -> o.jsonb(json(name, v, r, t).toString()));
        }
        return null;
    }

    private static boolean nestedSupported(DataType t) {
        if (t instanceof ArrayType a) return nestedSupported(a.getElementType());
        if (t instanceof MapType m) return nestedSupported(m.getKeyType()) && nestedSupported(m.getValueType());
        if (t instanceof StructType s) return s.fields().stream().allMatch(f -> nestedSupported(f.getDataType()));
        return column("x", t) != null;
    }

    private static String text(String column, String value) throws SyncException {
        if (value.indexOf('\0') >= 0) {
            throw new SyncException("Column " + column + " holds a NUL character (\\u0000), which Postgres text cannot store;"
                    + " remove it from the source table.");
        }
        return value;
    }

    private static JsonNode json(String column, ColumnVector v, int row, DataType t) throws SyncException {
        JsonNodeFactory f = JsonNodeFactory.instance;
        if (v.isNullAt(row)) return f.nullNode();
        if (t instanceof ArrayType a) {
            ArrayValue value = v.getArray(row);
            ArrayNode out = f.arrayNode();
            for (int i = 0; i < value.getSize(); i++) out.add(json(column, value.getElements(), i, a.getElementType()));
            return out;
        }
        if (t instanceof MapType m) {
            MapValue value = v.getMap(row);
            ObjectNode out = f.objectNode();
            for (int i = 0; i < value.getSize(); i++) {
                JsonNode key = json(column, value.getKeys(), i, m.getKeyType());
                out.set(key.isTextual() ? key.textValue() : key.toString(), json(column, value.getValues(), i, m.getValueType()));
            }
            return out;
        }
        if (t instanceof StructType s) {
            ObjectNode out = f.objectNode();
            for (int i = 0; i < s.length(); i++) out.set(s.at(i).getName(), json(column, v.getChild(i), row, s.at(i).getDataType()));
            return out;
        }
        if (t instanceof LongType) return f.numberNode(v.getLong(row));
        if (t instanceof IntegerType) return f.numberNode(v.getInt(row));
        if (t instanceof ShortType) return f.numberNode(v.getShort(row));
        if (t instanceof ByteType) return f.numberNode(v.getByte(row));
        if (t instanceof BooleanType) return f.booleanNode(v.getBoolean(row));
        if (t instanceof FloatType) return f.numberNode(v.getFloat(row));
        if (t instanceof DoubleType) return f.numberNode(v.getDouble(row));
        if (t instanceof DecimalType) return f.numberNode(v.getDecimal(row));
        if (t instanceof StringType) return f.textNode(text(column, v.getString(row)));
        if (t instanceof BinaryType) return f.textNode(Base64.getEncoder().encodeToString(v.getBinary(row)));
        if (t instanceof DateType) return f.textNode(java.time.LocalDate.ofEpochDay(v.getInt(row)).toString());
        if (t instanceof TimestampType || t instanceof TimestampNTZType) {
            long micros = v.getLong(row);
            return f.textNode(java.time.Instant.EPOCH.plus(micros, java.time.temporal.ChronoUnit.MICROS).toString());
        }
        return f.nullNode();
    }

    /** NUMERIC in binary: base-10000 digit groups with weight, sign and display scale. */
    static void numeric(BigDecimal value, CopyBuffer out) throws java.sql.SQLException {
        int dscale = Math.max(value.scale(), 0);
        String plain = value.abs().setScale(dscale).toPlainString();
        int dot = plain.indexOf('.');
        String intPart = dot < 0 ? plain : plain.substring(0, dot);
        String fracPart = dot < 0 ? "" : plain.substring(dot + 1);
        intPart = "0".repeat((4 - intPart.length() % 4) % 4) + intPart;
        fracPart = fracPart + "0".repeat((4 - fracPart.length() % 4) % 4);
        List<Integer> groups = new ArrayList<>();
        for (int i = 0; i < intPart.length(); i += 4) groups.add(Integer.parseInt(intPart.substring(i, i + 4)));
        for (int i = 0; i < fracPart.length(); i += 4) groups.add(Integer.parseInt(fracPart.substring(i, i + 4)));
        int weight = intPart.length() / 4 - 1;
        int start = 0;
        while (start < groups.size() && groups.get(start) == 0) {
            start++;
            weight--;
        }
        int end = groups.size();
        while (end > start && groups.get(end - 1) == 0) end--;
        int n = end - start;
        if (n == 0) weight = 0;
        out.fieldLength(8 + 2 * n);
        out.putShort(n);
        out.putShort(weight);
        out.putShort(value.signum() < 0 ? 0x4000 : 0);
        out.putShort(dscale);
        for (int i = start; i < end; i++) out.putShort(groups.get(i));
    }

    /** A type as Spark SQL spells it ({@code decimal(12,3)}, {@code struct<a:bigint,v:variant>}), never Kernel's internal form. */
    static String sqlName(DataType t) {
        if (t instanceof ArrayType a) return "array<" + sqlName(a.getElementType()) + ">";
        if (t instanceof MapType m) return "map<" + sqlName(m.getKeyType()) + "," + sqlName(m.getValueType()) + ">";
        if (t instanceof StructType s) {
            StringBuilder b = new StringBuilder("struct<");
            for (int i = 0; i < s.length(); i++) b.append(i == 0 ? "" : ",").append(s.at(i).getName()).append(':').append(sqlName(s.at(i).getDataType()));
            return b.append('>').toString();
        }
        if (t instanceof DecimalType d) return "decimal(" + d.getPrecision() + "," + d.getScale() + ")";
        if (t instanceof LongType) return "bigint";
        if (t instanceof IntegerType) return "int";
        if (t instanceof ShortType) return "smallint";
        if (t instanceof ByteType) return "tinyint";
        if (t instanceof TimestampNTZType) return "timestamp_ntz";
        String name = t.toString();
        // Kernel's toString of other types is a bare lower-case name (variant, string, geometry(...)); anything else is cut to its word
        java.util.regex.Matcher word = java.util.regex.Pattern.compile("^[A-Za-z_]+").matcher(name);
        return word.find() ? word.group().toLowerCase(java.util.Locale.ROOT) : t.getClass().getSimpleName().replace("Type", "").toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * Whether a column synced as {@code before} is still {@code now}: equal, or {@code numeric} against {@code numeric(p,s)}
     * (Oxbow before DECIMAL kept its precision made unconstrained numeric columns; they hold every value).
     */
    static boolean sameColumnType(String before, String now) {
        return before.equals(now) || (before.equals("numeric") && now.startsWith("numeric("));
    }

    /** The column list as JSON, kept with the sync state to tell later schema changes apart. */
    static String describe(List<PgColumn> columns) {
        ArrayNode out = JSON.createArrayNode();
        columns.forEach(c -> out.addObject().put("name", c.name()).put("pg_type", c.pgType()));
        return out.toString();
    }

    record Described(String name, String pgType) {}

    static List<Described> parse(String json) {
        try {
            List<Described> out = new ArrayList<>();
            for (JsonNode n : JSON.readTree(json)) out.add(new Described(n.get("name").asText(), n.get("pg_type").asText()));
            return out;
        } catch (Exception e) {
            throw new IllegalStateException("unreadable column description: " + json, e);
        }
    }
}
