package dev.oxbow.controlplane.history;

import dev.oxbow.controlplane.resource.ApiException;

import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Locale;

/** How often a branch's snapshot schedule takes a snapshot (the product offers daily, weekly, monthly; none is the default). */
public enum SnapshotFrequency {
    NONE, DAILY, WEEKLY, MONTHLY;

    /** The wire value, case-insensitively; unknown values are refused naming the field. */
    public static SnapshotFrequency parse(String field, String raw) {
        if (raw == null || raw.isBlank()) {
            return NONE;
        }
        String v = raw.strip().toUpperCase(Locale.ROOT);
        if (v.equals("FREQUENCY_UNSPECIFIED")) {
            return NONE;
        }
        try {
            return valueOf(v);
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid("Field " + field + " must be one of " + Arrays.toString(values()) + ", got '" + raw + "'.");
        }
    }

    /** The first run after {@code from}, or null when the schedule is off. */
    public Instant after(Instant from) {
        var at = from.atZone(ZoneOffset.UTC);
        return switch (this) {
            case NONE -> null;
            case DAILY -> at.plusDays(1).toInstant();
            case WEEKLY -> at.plusWeeks(1).toInstant();
            case MONTHLY -> at.plusMonths(1).toInstant();
        };
    }
}
