package dev.oxbow.sync;

import org.postgresql.copy.CopyIn;

import java.nio.charset.StandardCharsets;
import java.sql.SQLException;

/**
 * Writes PostgreSQL's binary COPY format into a {@link CopyIn} through one reusable buffer: header, then
 * tuples (int16 field count, each field as int32 length + bytes, -1 for NULL), then the trailer.
 */
final class CopyBuffer {
    private static final byte[] HEADER = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xFF, '\r', '\n', 0, 0, 0, 0, 0, 0, 0, 0, 0};
    private final CopyIn copy;
    private final byte[] buf = new byte[1 << 20];
    private int pos;

    CopyBuffer(CopyIn copy) throws SQLException {
        this.copy = copy;
        System.arraycopy(HEADER, 0, buf, 0, HEADER.length);
        pos = HEADER.length;
    }

    void startRow(int fields) throws SQLException {
        ensure(2);
        putShort(fields);
    }

    void nullField() throws SQLException {
        ensure(4);
        putInt(-1);
    }

    void int2(int v) throws SQLException {
        ensure(6);
        putInt(2);
        putShort(v);
    }

    void int4(int v) throws SQLException {
        ensure(8);
        putInt(4);
        putInt(v);
    }

    void int8(long v) throws SQLException {
        ensure(12);
        putInt(8);
        putLong(v);
    }

    void bool(boolean v) throws SQLException {
        ensure(5);
        putInt(1);
        buf[pos++] = (byte) (v ? 1 : 0);
    }

    void oneByte(byte v) throws SQLException {
        ensure(5);
        putInt(1);
        buf[pos++] = v;
    }

    void text(String v) throws SQLException {
        bytes(v.getBytes(StandardCharsets.UTF_8));
    }

    void bytes(byte[] v) throws SQLException {
        ensure(4);
        putInt(v.length);
        raw(v, 0, v.length);
    }

    /** A jsonb value: version byte 1, then the JSON text. */
    void jsonb(String json) throws SQLException {
        byte[] b = json.getBytes(StandardCharsets.UTF_8);
        ensure(5);
        putInt(b.length + 1);
        buf[pos++] = 1;
        raw(b, 0, b.length);
    }

    /** A field whose encoding the caller writes with {@link #putShort} after this length. */
    void fieldLength(int length) throws SQLException {
        ensure(4 + length);
        putInt(length);
    }

    void putShort(int v) {
        buf[pos++] = (byte) (v >>> 8);
        buf[pos++] = (byte) v;
    }

    private void putInt(int v) {
        buf[pos++] = (byte) (v >>> 24);
        buf[pos++] = (byte) (v >>> 16);
        buf[pos++] = (byte) (v >>> 8);
        buf[pos++] = (byte) v;
    }

    private void putLong(long v) {
        putInt((int) (v >>> 32));
        putInt((int) v);
    }

    private void raw(byte[] b, int off, int len) throws SQLException {
        if (len > buf.length - pos) {
            flush();
            if (len > buf.length) {
                copy.writeToCopy(b, off, len);
                return;
            }
        }
        System.arraycopy(b, off, buf, pos, len);
        pos += len;
    }

    private void ensure(int n) throws SQLException {
        if (buf.length - pos < n) {
            flush();
        }
    }

    long sendNanos;

    private void flush() throws SQLException {
        if (pos > 0) {
            long t0 = System.nanoTime();
            copy.writeToCopy(buf, 0, pos);
            sendNanos += System.nanoTime() - t0;
            pos = 0;
        }
    }

    /** Abandons the COPY so the connection can roll back (after a read or encoding failure). */
    void cancel() {
        try {
            if (copy.isActive()) {
                copy.cancelCopy();
            }
        } catch (SQLException ignored) {
            // the transaction is rolled back next anyway
        }
    }

    /** Writes the trailer and ends the COPY; returns the rows PostgreSQL took. */
    long finish() throws SQLException {
        ensure(2);
        putShort(-1);
        flush();
        return copy.endCopy();
    }
}
