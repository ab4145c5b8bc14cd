package dev.oxbow.compute;

import java.util.regex.Pattern;

/** PostgreSQL log sequence numbers: text as Postgres prints it ({@code 16/B374D848}) to numbers. */
public final class Lsn {
    private static final Pattern TEXT = Pattern.compile("[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}");

    private Lsn() {}

    /**
     * Postgres's text form, below 2^63: LSNs are unsigned 64-bit, Oxbow compares them as signed longs, and no cluster
     * writes 8 EiB of WAL, so a higher one is refused as invalid rather than sorted before every real one.
     */
    public static boolean valid(String text) {
        return text != null && TEXT.matcher(text).matches() && Long.parseLong(text.substring(0, text.indexOf('/')), 16) <= 0x7FFF_FFFFL;
    }

    public static long parse(String text) {
        if (!valid(text)) {
            throw new IllegalArgumentException("not an LSN: " + text);
        }
        int slash = text.indexOf('/');
        return (Long.parseLong(text.substring(0, slash), 16) << 32) | Long.parseLong(text.substring(slash + 1), 16);
    }

    /** The text form Postgres prints. */
    public static String format(long lsn) {
        return String.format("%X/%X", lsn >>> 32, lsn & 0xFFFF_FFFFL);
    }
}
