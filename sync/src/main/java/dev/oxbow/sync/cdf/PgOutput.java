package dev.oxbow.sync.cdf;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Decodes the messages of PostgreSQL's {@code pgoutput} plugin, protocol version 1 (the "Logical Replication
 * Message Formats" chapter of the PostgreSQL manual). Values arrive in text form; {@link Tuple} keeps them as
 * strings, {@code null} for SQL NULL, and marks unchanged TOASTed values (not sent by an UPDATE).
 */
public final class PgOutput {
    private PgOutput() {}

    /** One decoded message. */
    public sealed interface Message permits Begin, Commit, Relation, Insert, Update, Delete, Truncate, Other {}

    public record Begin(long finalLsn, long commitTimeMicros, int xid) implements Message {}

    public record Commit(long commitLsn, long endLsn, long commitTimeMicros) implements Message {}

    /** A column of a relation: {@code key} when it is part of the replica identity. */
    public record Column(String name, int typeOid, int typeModifier, boolean key) {}

    public record Relation(int oid, String schema, String table, char replicaIdentity, List<Column> columns) implements Message {}

    /** Values of one row in text form; {@link #UNCHANGED} stands for a TOASTed value an UPDATE did not send. */
    public record Tuple(List<String> values) {
        public static final String UNCHANGED = new String("\u0000unchanged-toast");

        public boolean unchanged(int i) {
            return values.get(i) == UNCHANGED;
        }
    }

    public record Insert(int relationOid, Tuple row) implements Message {}

    /** {@code old} is the old key ('K') or old row ('O') when the identity changed or is FULL, else null. */
    public record Update(int relationOid, Tuple old, Tuple row) implements Message {}

    public record Delete(int relationOid, Tuple old) implements Message {}

    public record Truncate(List<Integer> relationOids, boolean cascade, boolean restartIdentity) implements Message {}

    /** Type, origin and logical messages: nothing a feed applies. */
    public record Other(char kind) implements Message {}

    public static Message decode(ByteBuffer b) {
        char kind = (char) b.get();
        return switch (kind) {
            case 'B' -> new Begin(b.getLong(), b.getLong(), b.getInt());
            case 'C' -> {
                b.get(); // flags, unused
                yield new Commit(b.getLong(), b.getLong(), b.getLong());
            }
            case 'R' -> relation(b);
            case 'I' -> {
                int oid = b.getInt();
                expect(b, 'N');
                yield new Insert(oid, tuple(b));
            }
            case 'U' -> {
                int oid = b.getInt();
                char next = (char) b.get();
                Tuple old = null;
                if (next == 'K' || next == 'O') {
                    old = tuple(b);
                    next = (char) b.get();
                }
                if (next != 'N') throw new IllegalArgumentException("pgoutput: expected N in an update, got " + next);
                yield new Update(oid, old, tuple(b));
            }
            case 'D' -> {
                int oid = b.getInt();
                char next = (char) b.get();
                if (next != 'K' && next != 'O') throw new IllegalArgumentException("pgoutput: expected K or O in a delete, got " + next);
                yield new Delete(oid, tuple(b));
            }
            case 'T' -> {
                int n = b.getInt();
                int options = b.get();
                List<Integer> oids = new ArrayList<>();
                for (int i = 0; i < n; i++) oids.add(b.getInt());
                yield new Truncate(oids, (options & 1) != 0, (options & 2) != 0);
            }
            default -> new Other(kind);
        };
    }

    private static Relation relation(ByteBuffer b) {
        int oid = b.getInt();
        String schema = string(b);
        String table = string(b);
        char identity = (char) b.get();
        int n = b.getShort();
        List<Column> columns = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int flags = b.get();
            String name = string(b);
            columns.add(new Column(name, b.getInt(), b.getInt(), (flags & 1) != 0));
        }
        return new Relation(oid, schema, table, identity, columns);
    }

    private static Tuple tuple(ByteBuffer b) {
        int n = b.getShort();
        List<String> values = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            char kind = (char) b.get();
            switch (kind) {
                case 'n' -> values.add(null);
                case 'u' -> values.add(Tuple.UNCHANGED);
                case 't', 'b' -> {
                    byte[] bytes = new byte[b.getInt()];
                    b.get(bytes);
                    values.add(new String(bytes, StandardCharsets.UTF_8));
                }
                default -> throw new IllegalArgumentException("pgoutput: unknown tuple value kind " + kind);
            }
        }
        return new Tuple(java.util.Collections.unmodifiableList(values));
    }

    private static String string(ByteBuffer b) {
        int start = b.position();
        while (b.get() != 0) { /* to the terminator */ }
        byte[] bytes = new byte[b.position() - start - 1];
        b.get(start, bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static void expect(ByteBuffer b, char kind) {
        char got = (char) b.get();
        if (got != kind) throw new IllegalArgumentException("pgoutput: expected " + kind + ", got " + got);
    }
}
