package dev.oxbow.server;

import dev.oxbow.metadata.MetadataStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Audit records of logins. An accepted login is written by one background writer, so the connection
 * does not wait for a metadata write (a SQLite commit) before its compute is reached; a refused one is
 * written at once, so a flood of bad attempts pays for its own records and a refusal is on record
 * before the client hears of it. The queue is bounded: when it is full the caller writes itself.
 * The writer takes everything queued and writes it in one transaction (one SQLite commit per batch, not per
 * login: the commits were a tenth of a new connection's CPU in the server at {@code pgbench -C}).
 * Close drains what is queued.
 */
final class LoginAudit implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LoginAudit.class);
    private static final int QUEUE = 10_000;
    /** At most this many records per transaction, so readers of the metadata never wait long behind a batch. */
    private static final int BATCH = 256;
    /** After a batch that did not fill, the pause before the next: an accepted login is on record within about this. */
    private static final long GATHER_MS = 10;

    private record Entry(Instant at, String user, String action, String resource, String outcome, String remote, String detail) {}

    /** Queued by close after everything else: the writer stops when it takes it. */
    private static final Entry END = new Entry(Instant.EPOCH, null, null, null, null, null, null);

    private final MetadataStore store;
    private final BlockingQueue<Entry> queue = new ArrayBlockingQueue<>(QUEUE);
    private final Thread writer;
    private volatile boolean closed;

    LoginAudit(MetadataStore store) {
        this.store = store;
        this.writer = Thread.ofPlatform().name("oxbow-login-audit").daemon().start(this::drain);
    }

    void accepted(String user, String resource, String remote, String detail) {
        Entry e = new Entry(Instant.now(), user, "LOGIN", resource, "accepted", remote, detail);
        if (closed || !queue.offer(e)) {
            write(List.of(e));
        }
    }

    void refused(String user, String resource, String remote, String detail) {
        write(List.of(new Entry(Instant.now(), user, "LOGIN_REFUSED", resource, "refused", remote, detail)));
    }

    private void drain() {
        List<Entry> batch = new ArrayList<>(BATCH);
        while (true) {
            try {
                batch.add(queue.take());
                queue.drainTo(batch, BATCH - 1);
                boolean end = batch.removeIf(e -> e == END);
                if (!batch.isEmpty()) {
                    write(batch);
                }
                if (end) {
                    return;
                }
                if (batch.size() < BATCH && !closed) {
                    // let the next logins gather: at most ~100 commits a second however many logins there are
                    Thread.sleep(GATHER_MS);
                }
                batch.clear();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void write(List<Entry> entries) {
        try {
            store.transaction(() -> entries.forEach(e -> store.audit().append(e.at(), e.user(), e.action(), e.resource(), e.outcome(), e.remote(), e.detail())));
        } catch (RuntimeException e) {
            Entry first = entries.getFirst();
            log.warn("cannot write login audit records count={} first_user={} action={} resource={} cause={}",
                    entries.size(), first.user(), first.action(), first.resource(), e.toString());
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            if (!queue.offer(END, 10, TimeUnit.SECONDS)) {
                log.warn("login audit records still queued at shutdown queued={}", queue.size());
                return;
            }
            writer.join(TimeUnit.SECONDS.toMillis(10));
            if (writer.isAlive()) {
                log.warn("login audit records still queued at shutdown queued={}", queue.size());
                return;
            }
            // a login that saw the writer open just before it stopped
            List<Entry> rest = new ArrayList<>();
            queue.drainTo(rest);
            if (!rest.isEmpty()) {
                write(rest);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
