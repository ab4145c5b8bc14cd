package dev.oxbow.controlplane.masking;

import dev.oxbow.compute.PgAdmin;
import dev.oxbow.metadata.MaskingAction;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * The SQL of masking, without a connection: the value expression per action and column type, and the one UPDATE
 * per table. The hash is HMAC-SHA-256 built from PostgreSQL's own {@code sha256()} (no extension needed), keyed
 * with the project's secret passed as bind parameters, never in the statement text, so code that runs during the
 * UPDATE (an index expression, a check constraint, a generated column) cannot read the key from
 * {@code current_query()} or {@code pg_stat_activity}.
 */
public final class MaskingSql {
    private static final int BLOCK = 64; // SHA-256's block size, HMAC's key length
    static final String REDACTED = "REDACTED";

    private MaskingSql() {}

    /** The type families masking knows how to produce values for. */
    public enum Family { STRING, BYTEA, INT2, INT4, INT8, UUID, OTHER }

    /** A column to mask as found in the catalog: {@code sqlType} is {@code format_type()}'s quoted name. */
    public record Column(String name, Family family, String sqlType, boolean notNull, boolean generated) {}

    /** An UPDATE with its bind parameters (the HMAC pads, once per hashed column). */
    public record Statement(String sql, List<byte[]> params) {}

    /** The family of a type from {@code pg_type.typcategory} and the name of its base type. */
    public static Family family(String typcategory, String baseTypeName) {
        return switch (baseTypeName) {
            case "bytea" -> Family.BYTEA;
            case "int2" -> Family.INT2;
            case "int4" -> Family.INT4;
            case "int8" -> Family.INT8;
            case "uuid" -> Family.UUID;
            default -> "S".equals(typcategory) ? Family.STRING : Family.OTHER;
        };
    }

    /** Why {@code action} cannot apply to {@code column}, or null when it can. */
    public static String refusal(Column column, MaskingAction action) {
        if (column.generated()) {
            return "it is a generated column; mask the columns it is computed from";
        }
        return switch (action) {
            case KEEP -> null;
            case NULL -> column.notNull() ? "it is NOT NULL; use redact or hash" : null;
            case REDACT, FAKE_EMAIL -> column.family() == Family.STRING ? null : "action " + action.wire() + " needs a text column, it is " + column.sqlType();
            case HASH -> column.family() == Family.OTHER ? "action hash needs a text, bytea, integer or uuid column, it is " + column.sqlType() : null;
        };
    }

    /**
     * {@code UPDATE ONLY "schema"."table" SET ...}: every column of the table with an action other than keep, in
     * one statement (each row is rewritten once). Null when nothing changes.
     */
    public static Statement update(String schema, String table, List<Column> columns, List<MaskingAction> actions, byte[] key) {
        List<String> sets = new ArrayList<>();
        List<byte[]> params = new ArrayList<>();
        byte[][] pads = pads(key);
        for (int i = 0; i < columns.size(); i++) {
            Column c = columns.get(i);
            MaskingAction a = actions.get(i);
            if (a == MaskingAction.KEEP) {
                continue;
            }
            String refusal = refusal(c, a);
            if (refusal != null) {
                throw new IllegalArgumentException("cannot mask column " + c.name() + ": " + refusal);
            }
            String expr = expression(c, a);
            if (a == MaskingAction.HASH || a == MaskingAction.FAKE_EMAIL) {
                params.add(pads[1]); // outer (opad) key first: it comes first in the text
                params.add(pads[0]);
            }
            sets.add(PgAdmin.ident(c.name()) + " = " + expr);
        }
        if (sets.isEmpty()) {
            return null;
        }
        return new Statement("UPDATE ONLY " + PgAdmin.ident(schema) + "." + PgAdmin.ident(table) + " SET " + String.join(", ", sets), params);
    }

    /** The new value of a column; {@code ?} are the outer then inner HMAC pad. NULL stays NULL. */
    static String expression(Column c, MaskingAction a) {
        String col = PgAdmin.ident(c.name());
        if (a == MaskingAction.NULL) {
            return "NULL";
        }
        String value = switch (a) {
            case REDACT -> "CAST(" + literal(REDACTED) + " AS " + c.sqlType() + ")";
            case FAKE_EMAIL -> "CAST('user_' OPERATOR(pg_catalog.||) pg_catalog.substr(" + hex(col) + ", 1, 16) OPERATOR(pg_catalog.||) '@example.invalid' AS "
                    + c.sqlType() + ")";
            case HASH -> switch (c.family()) {
                case STRING -> "CAST(" + hex(col) + " AS " + c.sqlType() + ")";
                case BYTEA -> hmac(col);
                case INT8 -> "CAST(CAST(('x' OPERATOR(pg_catalog.||) pg_catalog.substr(" + hex(col) + ", 1, 16)) AS pg_catalog.bit(64)) AS pg_catalog.int8)";
                case INT4 -> "CAST(CAST(('x' OPERATOR(pg_catalog.||) pg_catalog.substr(" + hex(col) + ", 1, 8)) AS pg_catalog.bit(32)) AS pg_catalog.int4)";
                case INT2 -> "CAST(CAST(CAST(('x' OPERATOR(pg_catalog.||) pg_catalog.substr(" + hex(col) + ", 1, 4)) AS pg_catalog.bit(16)) AS pg_catalog.int4)"
                        + " OPERATOR(pg_catalog.-) 32768 AS pg_catalog.int2)";
                case UUID -> "CAST(pg_catalog.substr(" + hex(col) + ", 1, 32) AS pg_catalog.uuid)";
                case OTHER -> throw new IllegalArgumentException("no hash for " + c.sqlType());
            };
            default -> throw new IllegalArgumentException(a.name());
        };
        return "CASE WHEN " + col + " IS NULL THEN NULL ELSE " + value + " END";
    }

    /** HMAC-SHA-256(key, text form of the value) = sha256(opad-key || sha256(ipad-key || value)); the pads are bind parameters. */
    private static String hmac(String col) {
        return "pg_catalog.sha256(CAST(? AS pg_catalog.bytea) OPERATOR(pg_catalog.||) pg_catalog.sha256(CAST(? AS pg_catalog.bytea)"
                + " OPERATOR(pg_catalog.||) pg_catalog.convert_to(CAST(" + col + " AS pg_catalog.text), 'UTF8')))";
    }

    private static String hex(String col) {
        return "pg_catalog.encode(" + hmac(col) + ", 'hex')";
    }

    private static String literal(String s) {
        return "'" + s.replace("'", "''") + "'";
    }

    /** HMAC's inner and outer padded keys for a key of at most one block. */
    static byte[][] pads(byte[] key) {
        if (key.length > BLOCK) {
            throw new IllegalArgumentException("key longer than " + BLOCK + " bytes");
        }
        byte[] ipad = new byte[BLOCK];
        byte[] opad = new byte[BLOCK];
        for (int i = 0; i < BLOCK; i++) {
            byte k = i < key.length ? key[i] : 0;
            ipad[i] = (byte) (k ^ 0x36);
            opad[i] = (byte) (k ^ 0x5c);
        }
        return new byte[][] {ipad, opad};
    }

    /** The same HMAC in Java, hex: what {@code hash} writes into a text column (tests compare with it). */
    public static String hmacHex(byte[] key, String value) {
        try {
            javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
            mac.init(new javax.crypto.spec.SecretKeySpec(key, "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal(value.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
