package dev.oxbow.storage.object;

import java.util.regex.Pattern;

/** Object keys Oxbow writes: slash-separated segments of letters, digits and {@code . _ -}, no empty or dot-only segment. */
public final class ObjectKeys {
    private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9._-]+");

    private ObjectKeys() {}

    public static String check(String key) {
        if (key == null || key.isEmpty() || key.length() > 900) {
            throw new IllegalArgumentException("bad object key: " + key);
        }
        for (String s : key.split("/", -1)) {
            if (!SEGMENT.matcher(s).matches() || s.equals(".") || s.equals("..")) {
                throw new IllegalArgumentException("bad object key: " + key);
            }
        }
        return key;
    }
}
