package dev.oxbow.storage.bucket;

import dev.oxbow.compute.Lsn;
import dev.oxbow.storage.object.ObjectStore;
import org.postgresql.PGConnection;
import org.postgresql.replication.LogSequenceNumber;
import org.postgresql.replication.PGReplicationStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * Continuous WAL shipping: a physical replication client (pgjdbc's replication API) named
 * {@value #APPLICATION_NAME} that streams a running primary's WAL and puts it into the bucket as tail ranges
 * (the same keys {@link WalShipper#shipTail} writes, so a restore reads both alike). Two modes:
 * <ul>
 * <li>synchronous ({@link #start}): the primary lists it in {@code synchronous_standby_names}; each batch is
 * put as soon as it arrives and only then reported flushed, so with {@code synchronous_commit = on} the
 * primary acknowledges a commit once its WAL is in the bucket. A failed put is retried (commits wait, as a
 * synchronous standby makes them).</li>
 * <li>asynchronous ({@link #startAsynchronous}): commits never wait; what arrived is reported flushed at once
 * (a shutdown does not wait for the bucket either) and put at most once per {@code putGap}, so a commit is in
 * the bucket within about {@code putGap} plus one put, at a bounded number of PUTs per branch. WAL of a segment
 * already in the bucket whole (the archive shipped it while this receiver was behind) is not put again. A
 * failed put ends the receiver (it never holds the stream, and so a shutdown, while it retries); the shipping
 * pass then ships by itself until the bucket answers.</li>
 * </ul>
 * The receiver ends when its connection does (compute suspended or restarted; what it had received is still
 * put), and is started again by the next shipping pass.
 */
public final class WalReceiver implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WalReceiver.class);
    public static final String APPLICATION_NAME = "oxbow_wal_receiver";
    /** A batch is cut here even if more WAL is pending, so one put stays small. */
    private static final int MAX_BATCH = 8 << 20;

    /** How far the bucket holds the stream; {@code lastError} is set while a put is being retried. */
    public record Status(String flushedLsn, Instant flushedAt, long bytes, String lastError, boolean running) {}

    private final ObjectStore store;
    private final BucketLayout layout;
    private final long segmentSize;
    private final Clock clock;
    private final Connection connection;
    private final String timeline;
    private final long startLsn;
    private final boolean synchronous;
    /** Asynchronous mode: the least time between two puts (zero when synchronous). */
    private final long putGapNanos;
    /** Segments in the bucket whole: their bytes are skipped (asynchronous mode). */
    private final java.util.function.Predicate<String> inBucketWhole;
    private final Thread thread;
    private volatile boolean closed;
    private volatile Status status;
    private long bytes;
    private long lastPutEnd;

    private WalReceiver(ObjectStore store, BucketLayout layout, long segmentSize, Clock clock, Connection connection, String timeline, long startLsn,
                        boolean synchronous, Duration putGap, java.util.function.Predicate<String> inBucketWhole) {
        this.store = store;
        this.layout = layout;
        this.segmentSize = segmentSize;
        this.clock = clock;
        this.connection = connection;
        this.timeline = timeline;
        this.startLsn = startLsn;
        this.synchronous = synchronous;
        this.putGapNanos = putGap.toNanos();
        this.inBucketWhole = inBucketWhole;
        this.status = new Status(null, null, 0, null, true);
        this.thread = Thread.ofPlatform().daemon().name("oxbow-wal-receiver-" + layout.branchUid()).unstarted(this::run);
    }

    /**
     * Starts streaming on {@code replication} (a replication connection named {@value #APPLICATION_NAME}) from
     * {@code startLsn} on {@code timeline}, the server's current one.
     */
    public static WalReceiver start(ObjectStore store, BucketLayout layout, long segmentSize, Clock clock, Connection replication,
                                    String timeline, long startLsn) {
        WalReceiver r = new WalReceiver(store, layout, segmentSize, clock, replication, timeline, startLsn, true, Duration.ZERO, segment -> false);
        r.thread.start();
        return r;
    }

    /**
     * Like {@link #start}, for a primary that does not wait for it: puts at most once per {@code putGap}, and
     * skips segments {@code inBucketWhole} names.
     */
    public static WalReceiver startAsynchronous(ObjectStore store, BucketLayout layout, long segmentSize, Clock clock, Connection replication,
                                                String timeline, long startLsn, Duration putGap, java.util.function.Predicate<String> inBucketWhole) {
        WalReceiver r = new WalReceiver(store, layout, segmentSize, clock, replication, timeline, startLsn, false, putGap, inBucketWhole);
        r.thread.start();
        return r;
    }

    /** Whether the primary's commits wait for this receiver's puts. */
    public boolean synchronous() {
        return synchronous;
    }

    public Status status() {
        return status;
    }

    public boolean running() {
        return thread.isAlive();
    }

    public String timeline() {
        return timeline;
    }

    private void run() {
        Batch batch = new Batch();
        try (PGReplicationStream stream = connection.unwrap(PGConnection.class).getReplicationAPI().replicationStream().physical()
                .withStartPosition(LogSequenceNumber.valueOf(startLsn)).withStatusInterval(1, TimeUnit.SECONDS).start()) {
            log.info("wal receiver streaming branch={} timeline={} from={} synchronous={}", layout.branchUid(), timeline, Lsn.format(startLsn),
                    synchronous);
            long lastPut = System.nanoTime() - putGapNanos;
            while (!closed) {
                ByteBuffer first = stream.read();
                if (first == null) {
                    continue;
                }
                batch.start(stream.getLastReceiveLSN().asLong(), first);
                drain(stream, batch);
                if (!synchronous) {
                    report(stream, batch.end); // nothing waits on it; a shutdown need not wait for the bucket
                    long due = lastPut + putGapNanos;
                    for (long left; (left = due - System.nanoTime()) > 0 && batch.size() < MAX_BATCH; ) {
                        if (!drain(stream, batch)) {
                            Thread.sleep(Math.max(1, Math.min(10, left / 1_000_000)));
                        }
                    }
                    report(stream, batch.end);
                }
                lastPut = System.nanoTime();
                if (synchronous) {
                    putWithRetries(batch.from, batch.bytes());
                } else {
                    putOrEnd(batch.from, batch.bytes());
                }
                batch.clear();
                if (synchronous) {
                    report(stream, lastPutEnd);
                }
            }
        } catch (SQLException | IOException | RuntimeException e) {
            if (!closed) {
                log.warn("wal receiver stopped branch={} cause={}", layout.branchUid(), e.toString());
            }
            putRest(batch);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            Status s = status;
            status = new Status(s.flushedLsn(), s.flushedAt(), s.bytes(), s.lastError(), false);
            closeConnection();
        }
    }

    /** Appends what the stream has pending without blocking; returns whether anything came. */
    private static boolean drain(PGReplicationStream stream, Batch batch) throws SQLException, IOException {
        boolean any = false;
        ByteBuffer more;
        while (batch.size() < MAX_BATCH && (more = stream.readPending()) != null) {
            batch.append(stream.getLastReceiveLSN().asLong(), more);
            any = true;
        }
        return any;
    }

    private static void report(PGReplicationStream stream, long lsn) throws SQLException {
        LogSequenceNumber at = LogSequenceNumber.valueOf(lsn);
        stream.setFlushedLSN(at);
        stream.setAppliedLSN(at);
        stream.forceUpdateStatus();
    }

    /** Asynchronous: one attempt; a failure is kept in the status and ends the receiver. */
    private void putOrEnd(long from, byte[] data) throws IOException {
        try {
            putOnce(from, data);
        } catch (IOException e) {
            Status s = status;
            log.warn("wal receiver cannot reach the object store branch={} cause={}; the shipping pass ships the WAL until it returns",
                    layout.branchUid(), e.getMessage());
            status = new Status(s.flushedLsn(), s.flushedAt(), s.bytes(), e.getMessage(), true);
            throw e;
        }
    }

    /** An asynchronous receiver whose stream ended (the compute stopping) still puts what it had received, once. */
    private void putRest(Batch batch) {
        if (synchronous || batch.size() == 0 || status.lastError() != null) {
            return;
        }
        try {
            putOnce(batch.from, batch.bytes());
        } catch (IOException e) {
            log.warn("wal receiver could not put its last batch branch={} cause={}; the archive ships the segment", layout.branchUid(), e.toString());
        }
    }

    /** Contiguous WAL received and not yet put. */
    private static final class Batch {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        long from;
        long end;

        void start(long receivedEnd, ByteBuffer buf) {
            out.reset();
            end = receivedEnd;
            from = receivedEnd - buf.remaining();
            copy(buf);
        }

        void append(long receivedEnd, ByteBuffer buf) throws IOException {
            if (receivedEnd - buf.remaining() != end) {
                throw new IOException("replication stream is not contiguous at " + Lsn.format(end));
            }
            copy(buf);
            end = receivedEnd;
        }

        private void copy(ByteBuffer buf) {
            byte[] b = new byte[buf.remaining()];
            buf.get(b);
            out.write(b, 0, b.length);
        }

        int size() {
            return out.size();
        }

        byte[] bytes() {
            return out.toByteArray();
        }

        void clear() {
            out.reset();
            from = end;
        }
    }

    /** Puts the bytes starting at {@code from}, one range per segment, retrying until they are in or the receiver closes. */
    private void putWithRetries(long from, byte[] data) throws IOException, InterruptedException {
        long delayMs = 100;
        while (true) {
            try {
                putOnce(from, data);
                return;
            } catch (IOException e) {
                if (closed) {
                    throw e;
                }
                Status s = status;
                if (s.lastError() == null) {
                    log.error("ALERT synchronous WAL cannot reach the object store branch={} cause={}; commits wait until it returns",
                            layout.branchUid(), e.getMessage());
                }
                status = new Status(s.flushedLsn(), s.flushedAt(), s.bytes(), e.getMessage(), true);
                Thread.sleep(delayMs);
                delayMs = Math.min(5_000, delayMs * 2);
            }
        }
    }

    private void putOnce(long from, byte[] data) throws IOException {
        long at = from;
        while (at < from + data.length) {
            WalSegment seg = WalSegment.containing(timeline, at, segmentSize);
            long to = Math.min(from + data.length, seg.endLsn());
            if (inBucketWhole.test(seg.name())) {
                at = to; // the archive shipped it while this receiver was behind
                continue;
            }
            byte[] piece = Arrays.copyOfRange(data, (int) (at - from), (int) (to - from));
            store.put(layout.walTail() + seg.name() + "/" + String.format("%08X-%08X", at - seg.startLsn(), to - seg.startLsn()), piece);
            at = to;
        }
        bytes += data.length;
        lastPutEnd = from + data.length;
        status = new Status(Lsn.format(lastPutEnd), clock.instant(), bytes, null, true);
    }

    private void closeConnection() {
        try {
            connection.close();
        } catch (SQLException ignored) {
            // already broken
        }
    }

    @Override
    public void close() {
        closed = true;
        closeConnection(); // ends a blocking read
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
