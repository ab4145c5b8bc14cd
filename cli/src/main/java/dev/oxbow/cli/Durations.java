package dev.oxbow.cli;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Human durations as the Databricks CLI takes them: 604800s, 90m, 168h, 7d, 3w. */
final class Durations {
    private static final Pattern FORM = Pattern.compile("(\\d+)([smhdw]?)");

    private Durations() {}

    static long seconds(String text) {
        Matcher m = FORM.matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("Invalid duration '" + text + "': use a number with s, m, h, d or w, e.g. 7d.");
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "m" -> n * 60;
            case "h" -> n * 3600;
            case "d" -> n * 86400;
            case "w" -> n * 7 * 86400;
            default -> n;
        };
    }
}
