package dev.oxbow.sync.cdf;

/** Postgres log sequence numbers in their text form {@code 16/B374D848} (two hex halves). */
public final class Lsn {
    private Lsn() {}

    public static String format(long lsn) {
        return Long.toHexString(lsn >>> 32).toUpperCase() + "/" + Long.toHexString(lsn & 0xffffffffL).toUpperCase();
    }

    public static long parse(String text) {
        int slash = text.indexOf('/');
        return (Long.parseLong(text.substring(0, slash), 16) << 32) | Long.parseLong(text.substring(slash + 1), 16);
    }
}
