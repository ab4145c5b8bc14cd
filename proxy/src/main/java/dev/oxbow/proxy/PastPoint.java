package dev.oxbow.proxy;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A past point a client asked to connect at (time travel): exactly one of a WAL position ({@code 0/16B3748}) and a
 * time. Written {@code at=<RFC 3339 time | LSN>} in the startup options, or {@code <uid>--at-<unix seconds>} as a host label.
 */
public record PastPoint(String lsn, Instant time) {
    private static final Pattern LSN = Pattern.compile("[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}");
    private static final Pattern SECONDS = Pattern.compile("[0-9]{1,12}");
    static final String HOST_MARK = "--at-";

    public PastPoint {
        if ((lsn == null) == (time == null)) {
            throw new IllegalArgumentException("a past point is one of an LSN and a time");
        }
    }

    /** The value of an {@code at=} option, or empty when it is neither an LSN nor an RFC 3339 time with an offset. */
    static Optional<PastPoint> parseOption(String value) {
        if (LSN.matcher(value).matches()) {
            // Postgres's LSNs are unsigned 64-bit; Oxbow's comparisons are signed, and no cluster writes 8 EiB of WAL
            if (Long.parseLong(value.substring(0, value.indexOf('/')), 16) > 0x7FFF_FFFFL) {
                return Optional.empty();
            }
            return Optional.of(new PastPoint(value.toUpperCase(Locale.ROOT), null));
        }
        try {
            return Optional.of(new PastPoint(null, OffsetDateTime.parse(value.toUpperCase(Locale.ROOT)).toInstant()));
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    /** The unix seconds of a host label's {@code --at-<seconds>} part, or empty when malformed. */
    static Optional<PastPoint> parseSeconds(String value) {
        return SECONDS.matcher(value).matches() ? Optional.of(new PastPoint(null, Instant.ofEpochSecond(Long.parseLong(value)))) : Optional.empty();
    }

    static String syntaxHint() {
        return "use at=<RFC 3339 time with an offset, such as 2026-11-30T09:00:00Z> or at=<LSN, such as 0/16B3748>,"
                + " or the host name <endpoint uid>--at-<unix seconds>.<domain>";
    }

    @Override
    public String toString() {
        return lsn != null ? "LSN " + lsn : time.toString();
    }
}
