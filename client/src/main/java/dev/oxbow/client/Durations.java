package dev.oxbow.client;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Human durations as the Databricks CLI takes them: 604800s, 90m, 168h, 7d, 3w, or Go-style 1h30m; and the API's "<n>s" form. */
public final class Durations {
    private static final Pattern PART = Pattern.compile("(\\d+)([smhdw]?)");
    private static final Pattern WHOLE = Pattern.compile("\\d+|(\\d+[smhdw])+");

    private Durations() {}

    public static long seconds(String text) {
        String t = text == null ? "" : text.trim();
        if (!WHOLE.matcher(t).matches()) {
            throw new IllegalArgumentException("Invalid duration '" + text + "': use a number with s, m, h, d or w, e.g. 7d.");
        }
        long total = 0;
        Matcher m = PART.matcher(t);
        while (m.find()) {
            long n = Long.parseLong(m.group(1));
            total += switch (m.group(2)) {
                case "m" -> n * 60;
                case "h" -> n * 3600;
                case "d" -> n * 86400;
                case "w" -> n * 7 * 86400;
                default -> n;
            };
        }
        return total;
    }

    public static Duration parse(String text) {
        return Duration.ofSeconds(seconds(text));
    }

    /** The wire form of a protobuf Duration: whole seconds with an "s" suffix. */
    public static String wire(long seconds) {
        return seconds + "s";
    }
}
