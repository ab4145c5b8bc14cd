package dev.oxbow.controlplane.dataapi;

import dev.oxbow.metadata.MetadataStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * One audit record per Data API request (action {@code DATA_API_<METHOD>}, the resource as {@code <database>/data-api/<path>},
 * the caller's identity or {@code anonymous}, the HTTP status as outcome, as the API's own records), written by one background writer so a request
 * does not wait for a SQLite commit; when the bounded queue is full the request writes its own (as LoginAudit does).
 * Close drains the queue.
 */
final class DataApiAudit implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DataApiAudit.class);
    private static final int QUEUE = 10_000;

    private final MetadataStore store;
    private final ThreadPoolExecutor writer = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(QUEUE),
            Thread.ofPlatform().name("oxbow-data-api-audit").daemon().factory(), new ThreadPoolExecutor.CallerRunsPolicy());

    DataApiAudit(MetadataStore store) {
        this.store = store;
    }

    void record(Instant at, String identity, String method, String resource, int status, String remote) {
        Runnable write = () -> {
            try {
                store.audit().append(at, identity == null ? "anonymous" : identity, "DATA_API_" + method, resource,
                        Integer.toString(status), remote, null);
            } catch (RuntimeException e) {
                log.warn("cannot write data API audit record resource={} cause={}", resource, e.toString());
            }
        };
        try {
            writer.execute(write);
        } catch (RejectedExecutionException closed) {
            write.run();
        }
    }

    @Override
    public void close() {
        writer.shutdown();
        try {
            writer.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
