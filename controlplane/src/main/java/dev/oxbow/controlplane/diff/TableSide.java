package dev.oxbow.controlplane.diff;

import java.util.List;
import java.util.Map;

/** One branch's copy of a table, as the bisection asks about it; the SQL one is {@link JdbcTableSide}. */
public interface TableSide {
    /** The summaries of {@code range} cut at {@code points}: {@code points.size() + 1} of them, in key order. */
    List<RangeSummary> summarize(KeyRange range, List<List<String>> points);

    /** Up to {@code parts - 1} keys of this side that cut {@code range} (holding {@code rows} rows here) into parts of about equal size. */
    List<List<String>> splitPoints(KeyRange range, long rows, int parts);

    /** Every row of {@code range}: key to row hash, in key order. */
    Map<List<String>, Long> rowHashes(KeyRange range);
}
