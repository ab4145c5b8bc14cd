package dev.oxbow.api;

import dev.oxbow.controlplane.resource.ApiException;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Protobuf JSON scalars: Timestamps as RFC 3339 with Z, Durations as {@code "<seconds>s"}. */
final class Wire {
    private static final Pattern DURATION = Pattern.compile("^(-?\\d+)(\\.\\d{1,9})?s$");
    /** The largest protobuf Duration (about 10,000 years); beyond it times overflow. */
    static final long MAX_DURATION_SECONDS = 315_576_000_000L;

    private Wire() {}

    static String timestamp(Instant t) {
        return t.truncatedTo(ChronoUnit.MICROS).toString();
    }

    static String duration(long seconds) {
        return seconds + "s";
    }

    static Instant parseTimestamp(String field, String text) {
        try {
            return OffsetDateTime.parse(text).toInstant();
        } catch (DateTimeParseException e) {
            throw ApiException.invalid("Field " + field + " must be an RFC 3339 timestamp such as 2026-01-02T03:04:05Z, got '" + text + "'.");
        }
    }

    /** Whole seconds of a Duration string; a fraction is rounded up (a timeout never gets shorter than asked). */
    static long parseDuration(String field, String text) {
        Matcher m = DURATION.matcher(text.trim());
        if (!m.matches()) {
            throw ApiException.invalid("Field " + field + " must be a duration in seconds such as \"300s\", got '" + text + "'.");
        }
        BigDecimal value = new BigDecimal(m.group(1) + (m.group(2) == null ? "" : m.group(2)))
                .setScale(0, java.math.RoundingMode.CEILING);
        if (value.abs().compareTo(BigDecimal.valueOf(MAX_DURATION_SECONDS)) > 0) {
            throw ApiException.invalid("Field " + field + " must be at most " + MAX_DURATION_SECONDS + "s, got '" + text + "'.");
        }
        return value.longValueExact();
    }
}
