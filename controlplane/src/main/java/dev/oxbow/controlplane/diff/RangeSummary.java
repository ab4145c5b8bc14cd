package dev.oxbow.controlplane.diff;

/** What one side holds in a key range: its row count and an order-independent sum of its rows' 64-bit hashes. */
public record RangeSummary(long rows, String hashSum) {
    public static final RangeSummary EMPTY = new RangeSummary(0, "0");
}
