package dev.oxbow.controlplane.diff;

/** What one diff asked the two computes and how much came back (values' text, a fair proxy for bytes on the wire). */
public final class DiffStats {
    private long queries;
    private long rowsReturned;
    private long bytesReturned;

    synchronized void query() {
        queries++;
    }

    synchronized void row(long bytes) {
        rowsReturned++;
        bytesReturned += bytes;
    }

    public synchronized long queries() {
        return queries;
    }

    public synchronized long rowsReturned() {
        return rowsReturned;
    }

    public synchronized long bytesReturned() {
        return bytesReturned;
    }
}
