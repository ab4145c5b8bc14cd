package dev.oxbow.controlplane.resource;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What values one tenant-tunable Postgres setting accepts. Values are checked before they are stored so a
 * bad one is a 400 at accept time, and so nothing but plain words and numbers ever reaches postgresql.conf.
 * {@link #problem} returns null for a good value, else why it is refused.
 */
public sealed interface SettingRule {
    /** Postgres int settings are 32-bit; larger values would fail the server start. */
    long INT_MAX = Integer.MAX_VALUE;

    String problem(String value, Limits limits);

    /** How the README describes the accepted values. */
    String describe();

    /** What the memory settings of an endpoint may add up to: the RAM of its largest size. */
    record Limits(long memoryBytes) {}

    record Bool() implements SettingRule {
        private static final List<String> WORDS = List.of("on", "off", "true", "false", "yes", "no", "1", "0");

        public String problem(String value, Limits limits) {
            return WORDS.contains(value.toLowerCase(Locale.ROOT)) ? null : "must be on or off";
        }

        public String describe() {
            return "on / off";
        }
    }

    record Choice(List<String> values) implements SettingRule {
        public String problem(String value, Limits limits) {
            return values.contains(value.toLowerCase(Locale.ROOT)) ? null : "must be one of " + String.join(", ", values);
        }

        public String describe() {
            return String.join(" / ", values);
        }
    }

    record Int(long min, long max) implements SettingRule {
        private static final Pattern INT = Pattern.compile("-?\\d{1,12}");

        public String problem(String value, Limits limits) {
            if (!INT.matcher(value).matches()) {
                return "must be a whole number";
            }
            long v = Long.parseLong(value);
            return v < min || v > max ? "must be between " + min + " and " + max : null;
        }

        public String describe() {
            return "integer " + min + "–" + max;
        }
    }

    record Real(double min, double max) implements SettingRule {
        private static final Pattern REAL = Pattern.compile("-?\\d{1,12}(\\.\\d{1,12})?");

        public String problem(String value, Limits limits) {
            if (!REAL.matcher(value).matches()) {
                return "must be a decimal number";
            }
            double v = Double.parseDouble(value);
            return v < min || v > max ? "must be between " + fmt(min) + " and " + fmt(max) : null;
        }

        public String describe() {
            return "number " + fmt(min) + "–" + fmt(max);
        }

        private static String fmt(double d) {
            return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
        }
    }

    /**
     * A size in bytes, written as Postgres writes it ({@code 64MB}; without a unit in the setting's base
     * unit). {@code minusOne} admits -1 ("off" / "use the other setting"); {@code withinCu} caps it at the
     * endpoint's memory.
     */
    record Size(long baseBytes, boolean minusOne, boolean withinCu) implements SettingRule {
        private static final Pattern SIZE = Pattern.compile("(\\d{1,12})\\s*(B|kB|MB|GB|TB)?");
        private static final Map<String, Long> UNITS = Map.of("B", 1L, "kB", 1L << 10, "MB", 1L << 20, "GB", 1L << 30, "TB", 1L << 40);

        public String problem(String value, Limits limits) {
            if (minusOne && value.equals("-1")) {
                return null;
            }
            Matcher m = SIZE.matcher(value);
            if (!m.matches()) {
                return "must be a size such as 64MB (units B, kB, MB, GB, TB)" + (minusOne ? " or -1" : "");
            }
            long unit = m.group(2) == null ? baseBytes : UNITS.get(m.group(2));
            double bytes = (double) Long.parseLong(m.group(1)) * unit;
            if (bytes / baseBytes > INT_MAX) {
                return "is too large";
            }
            if (withinCu && bytes > limits.memoryBytes()) {
                return "is more than the endpoint's memory at its largest size (" + (limits.memoryBytes() >> 20) + "MB)";
            }
            return null;
        }

        public String describe() {
            return "size (B, kB, MB, GB, TB)" + (minusOne ? " or -1" : "") + (withinCu ? ", at most the memory of the max CU" : "");
        }
    }

    /** A duration, written as Postgres writes it ({@code 30s}; without a unit in the setting's base unit). */
    record Time(long baseMicros, boolean minusOne) implements SettingRule {
        private static final Pattern TIME = Pattern.compile("(\\d{1,12})\\s*(us|ms|s|min|h|d)?");
        private static final Map<String, Long> UNITS = Map.of("us", 1L, "ms", 1_000L, "s", 1_000_000L, "min", 60_000_000L,
                "h", 3_600_000_000L, "d", 86_400_000_000L);

        public String problem(String value, Limits limits) {
            if (minusOne && value.equals("-1")) {
                return null;
            }
            Matcher m = TIME.matcher(value);
            if (!m.matches()) {
                return "must be a duration such as 30s (units us, ms, s, min, h, d)" + (minusOne ? " or -1" : "");
            }
            long unit = m.group(2) == null ? baseMicros : UNITS.get(m.group(2));
            double micros = (double) Long.parseLong(m.group(1)) * unit;
            return micros / baseMicros > INT_MAX ? "is too long" : null;
        }

        public String describe() {
            return "duration (us, ms, s, min, h, d)" + (minusOne ? " or -1" : "");
        }
    }

    /** A name-like value (a time zone, a locale, a style list): only the characters such names use. */
    record Text(Pattern pattern, String example) implements SettingRule {
        public String problem(String value, Limits limits) {
            return pattern.matcher(value).matches() ? null : "must look like " + example;
        }

        public String describe() {
            return "text like " + example;
        }
    }
}
