package dev.oxbow.storage.bucket;

import dev.oxbow.storage.Lsn;
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
import java.time.Instant;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * The synchronous half of WAL shipping: a physical replication client (pgjdbc's replication API) that the
 * primary lists in {@code synchronous_standby_names} as {@value #APPLICATION_NAME}. It streams the primary's
 * WAL, puts each batch into the bucket as tail ranges (the same keys {@link WalShipper#shipTail} writes, so a
 * restore reads both alike), and only then reports the batch as flushed: with {@code synchronous_commit = on}
 * the primary acknowledges a commit once its WAL is in the bucket. A failed put is retried (commits wait, as
 * a synchronous standby makes them); the receiver ends when its connection does, and is started again.
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
    private final Thread thread;
    private volatile boolean closed;
    private volatile Status status;
    private long bytes;

    private WalReceiver(ObjectStore store, BucketLayout layout, long segmentSize, Clock clock, Connection connection, String timeline, long startLsn) {
        this.store = store;
        this.layout = layout;
        this.segmentSize = segmentSize;
        this.clock = clock;
        this.connection = connection;
        this.timeline = timeline;
        this.startLsn = startLsn;
        this.status = new Status(null, null, 0, null, true);
        this.thread = Thread.ofPlatform().daemon().name("oxbow-wal-receiver-" + layout.branchUid()).unstarted(this::run);
    }

    /**
     * Starts streaming on {@code replication} (a replication connection named {@value #APPLICATION_NAME}) from
     * {@code startLsn} on {@code timeline}, the server's current one.
     */
    public static WalReceiver start(ObjectStore store, BucketLayout layout, long segmentSize, Clock clock, Connection replication,
                                    String timeline, long startLsn) {
        WalReceiver r = new WalReceiver(store, layout, segmentSize, clock, replication, timeline, startLsn);
        r.thread.start();
        return r;
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
        try (PGReplicationStream stream = connection.unwrap(PGConnection.class).getReplicationAPI().replicationStream().physical()
                .withStartPosition(LogSequenceNumber.valueOf(startLsn)).withStatusInterval(1, TimeUnit.SECONDS).start()) {
            log.info("wal receiver streaming branch={} timeline={} from={}", layout.branchUid(), timeline, Lsn.format(startLsn));
            ByteArrayOutputStream batch = new ByteArrayOutputStream();
            while (!closed) {
                ByteBuffer first = stream.read();
                if (first == null) {
                    continue;
                }
                long end = stream.getLastReceiveLSN().asLong();
                long batchStart = end - first.remaining();
                batch.reset();
                append(batch, first);
                ByteBuffer more;
                while (batch.size() < MAX_BATCH && (more = stream.readPending()) != null) {
                    long moreEnd = stream.getLastReceiveLSN().asLong();
                    if (moreEnd - more.remaining() != batchStart + batch.size()) {
                        throw new IOException("replication stream is not contiguous at " + Lsn.format(batchStart + batch.size()));
                    }
                    append(batch, more);
                    end = moreEnd;
                }
                putWithRetries(batchStart, batch.toByteArray());
                LogSequenceNumber flushed = LogSequenceNumber.valueOf(end);
                stream.setFlushedLSN(flushed);
                stream.setAppliedLSN(flushed);
                stream.forceUpdateStatus();
                status = new Status(Lsn.format(end), clock.instant(), bytes, null, true);
            }
        } catch (SQLException | IOException | RuntimeException e) {
            if (!closed) {
                log.warn("wal receiver stopped branch={} cause={}", layout.branchUid(), e.toString());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            Status s = status;
            status = new Status(s.flushedLsn(), s.flushedAt(), s.bytes(), s.lastError(), false);
            closeConnection();
        }
    }

    private static void append(ByteArrayOutputStream out, ByteBuffer buf) {
        byte[] b = new byte[buf.remaining()];
        buf.get(b);
        out.write(b, 0, b.length);
    }

    /** Puts the bytes starting at {@code from}, one range per segment, retrying until they are in or the receiver closes. */
    private void putWithRetries(long from, byte[] data) throws IOException, InterruptedException {
        long delayMs = 100;
        while (true) {
            try {
                long at = from;
                while (at < from + data.length) {
                    WalSegment seg = WalSegment.containing(timeline, at, segmentSize);
                    long to = Math.min(from + data.length, seg.endLsn());
                    byte[] piece = Arrays.copyOfRange(data, (int) (at - from), (int) (to - from));
                    store.put(layout.walTail() + seg.name() + "/" + String.format("%08X-%08X", at - seg.startLsn(), to - seg.startLsn()), piece);
                    at = to;
                }
                bytes += data.length;
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
