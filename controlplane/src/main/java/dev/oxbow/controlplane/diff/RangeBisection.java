package dev.oxbow.controlplane.diff;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;

/**
 * Finds the rows two copies of a table disagree on without reading either whole: both sides sum their rows' hashes
 * per key range; equal summaries end the search there, a different range is cut into {@code fanout} parts (at keys
 * of whichever side has more rows in it, so every part holds at most about 1/fanout of the larger side) and compared
 * again, until a different range holds at most {@code leafRows} rows on each side, whose keys and row hashes are then
 * read and matched. Work and bytes moved grow with the number of differences, not with the size of the table.
 */
public final class RangeBisection {
    private final int fanout;
    private final int leafRows;

    public RangeBisection(int fanout, int leafRows) {
        if (fanout < 2 || leafRows < 1) {
            throw new IllegalArgumentException("fanout must be at least 2 and leafRows at least 1");
        }
        this.fanout = fanout;
        this.leafRows = leafRows;
    }

    public RowChanges compare(TableSide branch, TableSide against, int examplesPerKind) {
        RowChanges out = new RowChanges(examplesPerKind);
        // depth first, lowest keys first, so examples come in key order
        Deque<Pending> work = new ArrayDeque<>();
        work.push(new Pending(KeyRange.ALL, branch.summarize(KeyRange.ALL, List.of()).getFirst(),
                against.summarize(KeyRange.ALL, List.of()).getFirst()));
        out.compared(1);
        while (!work.isEmpty()) {
            Pending p = work.pop();
            if (p.branch.equals(p.against)) {
                continue;
            }
            long larger = Math.max(p.branch.rows(), p.against.rows());
            List<List<String>> points = larger <= leafRows ? List.of()
                    : (p.branch.rows() >= p.against.rows() ? branch : against).splitPoints(p.range, larger, fanout);
            if (points.isEmpty()) {
                matchRows(p.range, branch, against, out);
                continue;
            }
            List<KeyRange> parts = p.range.split(points);
            List<RangeSummary> b = branch.summarize(p.range, points);
            List<RangeSummary> a = against.summarize(p.range, points);
            out.compared(parts.size());
            for (int i = parts.size() - 1; i >= 0; i--) {
                work.push(new Pending(parts.get(i), b.get(i), a.get(i)));
            }
        }
        return out;
    }

    private static void matchRows(KeyRange range, TableSide branch, TableSide against, RowChanges out) {
        out.fetched();
        Map<List<String>, Long> b = branch.rowHashes(range);
        Map<List<String>, Long> a = against.rowHashes(range);
        for (Map.Entry<List<String>, Long> e : b.entrySet()) {
            Long other = a.get(e.getKey());
            if (other == null) {
                out.add(RowChanges.Kind.ADDED, e.getKey());
            } else if (!other.equals(e.getValue())) {
                out.add(RowChanges.Kind.CHANGED, e.getKey());
            }
        }
        for (List<String> key : a.keySet()) {
            if (!b.containsKey(key)) {
                out.add(RowChanges.Kind.REMOVED, key);
            }
        }
    }

    private record Pending(KeyRange range, RangeSummary branch, RangeSummary against) {}
}
