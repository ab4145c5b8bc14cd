package dev.oxbow.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The few fields of a cluster's {@code global/pg_control} a snapshot of a stopped cluster needs, read as
 * pg_controldata does (native byte order): the state, the latest checkpoint and its redo point and timeline.
 * Their offsets are the same in every version Oxbow runs (16, 17): system_identifier (8 bytes),
 * pg_control_version, catalog_version_no, state (4 each), time (8, aligned), checkPoint (8), then the
 * checkpoint record copy, which begins with redo (8) and ThisTimeLineID (4).
 */
public record ControlFile(int state, long checkpointLsn, long redoLsn, int timeline) {
    /** DBState DB_SHUTDOWNED: stopped cleanly, so the latest checkpoint is the end of its WAL. */
    public static final int SHUT_DOWN = 1;

    public static ControlFile read(Path dataDir) throws IOException {
        byte[] raw = Files.readAllBytes(dataDir.resolve("global/pg_control"));
        if (raw.length < 52) {
            throw new IOException("global/pg_control of " + dataDir + " is too short (" + raw.length + " bytes)");
        }
        ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.nativeOrder());
        return new ControlFile(b.getInt(16), b.getLong(32), b.getLong(40), b.getInt(48));
    }

    public boolean shutDown() {
        return state == SHUT_DOWN;
    }

    /** The latest checkpoint as PostgreSQL writes an LSN ({@code 0/1A2B3C8}). */
    public String checkpoint() {
        return String.format("%X/%X", checkpointLsn >>> 32, checkpointLsn & 0xFFFF_FFFFL);
    }

    /** The WAL segment holding the redo point: where a recovery from this cluster starts reading. */
    public String redoSegment(long segmentSize) {
        return WalRange.segmentBefore(String.format("%08X", timeline), redoLsn + 1, segmentSize);
    }
}
