package dev.oxbow.storage.bucket;

import java.util.regex.Pattern;

/** A WAL segment by timeline and number; its name is 24 hex digits (timeline, then the number split at 2^32 bytes). */
public record WalSegment(String timeline, long segno, long segmentSize) {
    private static final Pattern NAME = Pattern.compile("[0-9A-F]{24}");

    public static boolean isName(String s) {
        return NAME.matcher(s).matches();
    }

    public static WalSegment parse(String name, long segmentSize) {
        if (!isName(name)) {
            throw new IllegalArgumentException("not a WAL segment name: " + name);
        }
        long perId = 0x1_0000_0000L / segmentSize;
        return new WalSegment(name.substring(0, 8), Long.parseLong(name.substring(8, 16), 16) * perId + Long.parseLong(name.substring(16), 16), segmentSize);
    }

    /** The segment holding the byte at {@code lsn}. */
    public static WalSegment containing(String timeline, long lsn, long segmentSize) {
        return new WalSegment(timeline, lsn / segmentSize, segmentSize);
    }

    public String name() {
        long perId = 0x1_0000_0000L / segmentSize;
        return String.format("%s%08X%08X", timeline, segno / perId, segno % perId);
    }

    public long startLsn() {
        return segno * segmentSize;
    }

    public long endLsn() {
        return (segno + 1) * segmentSize;
    }
}
