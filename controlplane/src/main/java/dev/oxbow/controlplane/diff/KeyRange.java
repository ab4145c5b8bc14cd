package dev.oxbow.controlplane.diff;

import java.util.ArrayList;
import java.util.List;

/**
 * An interval of primary keys, {@code [low, high)} in the table's key order. A key is its columns' text forms; a null
 * bound is open (below every key, above every key).
 */
public record KeyRange(List<String> low, List<String> high) {
    public static final KeyRange ALL = new KeyRange(null, null);

    public KeyRange {
        low = low == null ? null : List.copyOf(low);
        high = high == null ? null : List.copyOf(high);
    }

    /** The sub-ranges cut at {@code points} (ascending keys inside this range): one more than there are points. */
    public List<KeyRange> split(List<List<String>> points) {
        List<KeyRange> out = new ArrayList<>(points.size() + 1);
        List<String> from = low;
        for (List<String> p : points) {
            out.add(new KeyRange(from, p));
            from = p;
        }
        out.add(new KeyRange(from, high));
        return out;
    }
}
