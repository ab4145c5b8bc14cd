package dev.oxbow.controlplane.diff;

import java.util.ArrayList;
import java.util.List;

/**
 * The rows of a table that differ between the branch and the one it is compared against, by primary key: added (only
 * in the branch), removed (only in against), changed (in both, different values). Counts are exact; keys are kept up
 * to a limit per kind, as examples.
 */
public final class RowChanges {
    public enum Kind { ADDED, REMOVED, CHANGED }

    private final int keep;
    private final long[] counts = new long[Kind.values().length];
    private final List<List<List<String>>> examples = new ArrayList<>();
    private int rangesCompared;
    private int rangesFetched;

    public RowChanges(int keep) {
        this.keep = keep;
        for (int i = 0; i < Kind.values().length; i++) {
            examples.add(new ArrayList<>());
        }
    }

    void add(Kind kind, List<String> key) {
        counts[kind.ordinal()]++;
        if (examples.get(kind.ordinal()).size() < keep) {
            examples.get(kind.ordinal()).add(key);
        }
    }

    void compared(int ranges) {
        rangesCompared += ranges;
    }

    void fetched() {
        rangesFetched++;
    }

    public long count(Kind kind) {
        return counts[kind.ordinal()];
    }

    public long total() {
        return counts[0] + counts[1] + counts[2];
    }

    /** The first keys of that kind, in key order within each range. */
    public List<List<String>> examples(Kind kind) {
        return List.copyOf(examples.get(kind.ordinal()));
    }

    /** Key ranges whose summaries were compared. */
    public int rangesCompared() {
        return rangesCompared;
    }

    /** Key ranges small enough, and different, whose rows' hashes were read. */
    public int rangesFetched() {
        return rangesFetched;
    }
}
