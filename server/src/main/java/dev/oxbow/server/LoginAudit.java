package dev.oxbow.server;

import dev.oxbow.metadata.MetadataStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Audit records of logins. An accepted login is written by one background writer, so the connection
 * does not wait for a metadata write (a SQLite commit) before its compute is reached; a refused one is
 * written at once, so a flood of bad attempts pays for its own records and a refusal is on record
 * before the client hears of it. The queue is bounded: when it is full the caller writes itself.
 * Close drains what is queued.
 */
final class LoginAudit implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LoginAudit.class);
    private static final int QUEUE = 10_000;

    private final MetadataStore store;
    private final ThreadPoolExecutor writer = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(QUEUE),
            Thread.ofPlatform().name("oxbow-login-audit").daemon().factory(), new ThreadPoolExecutor.CallerRunsPolicy());

    LoginAudit(MetadataStore store) {
        this.store = store;
    }

    void accepted(String user, String resource, String remote, String detail) {
        Instant at = Instant.now();
        try {
            writer.execute(() -> write(at, user, "LOGIN", resource, "accepted", remote, detail));
        } catch (RejectedExecutionException closed) {
            write(at, user, "LOGIN", resource, "accepted", remote, detail);
        }
    }

    void refused(String user, String resource, String remote, String detail) {
        write(Instant.now(), user, "LOGIN_REFUSED", resource, "refused", remote, detail);
    }

    private void write(Instant at, String user, String action, String resource, String outcome, String remote, String detail) {
        try {
            store.audit().append(at, user, action, resource, outcome, remote, detail);
        } catch (RuntimeException e) {
            log.warn("cannot write login audit record user={} action={} resource={} cause={}", user, action, resource, e.toString());
        }
    }

    @Override
    public void close() {
        writer.shutdown();
        try {
            if (!writer.awaitTermination(10, TimeUnit.SECONDS)) {
                log.warn("login audit records still queued at shutdown queued={}", writer.getQueue().size());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
