package dev.oxbow.storage.bucket;

import dev.oxbow.storage.object.ObjectStore;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;

/**
 * Several snapshot pieces in flight at once: with 128 KiB pieces a snapshot is many small objects, and one
 * request at a time would make its upload and restore wait on round trips rather than bandwidth. Puts are
 * bounded ({@link #put}, then {@link #awaitPuts}); gets run ahead of the reader in the order it will consume
 * them ({@link #prefetch}). One caller thread drives an instance; close it when done.
 */
final class PieceTransfers implements AutoCloseable {
    static final int IN_FLIGHT = 8;

    private final ObjectStore store;
    private final ExecutorService pool;
    private final Semaphore slots = new Semaphore(IN_FLIGHT);
    private final Deque<Future<?>> puts = new ArrayDeque<>();

    PieceTransfers(ObjectStore store) {
        this.store = store;
        this.pool = Executors.newFixedThreadPool(IN_FLIGHT, Thread.ofPlatform().name("oxbow-piece-", 0).daemon().factory());
    }

    /** Starts putting {@code bytes} (the caller's own copy) at {@code key}; waits while {@value #IN_FLIGHT} puts are running. */
    void put(String key, byte[] bytes) throws IOException {
        try {
            slots.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        puts.add(pool.submit(() -> {
            try {
                store.put(key, bytes);
                return null;
            } finally {
                slots.release();
            }
        }));
        while (!puts.isEmpty() && puts.peek().isDone()) {
            join(puts.poll()); // fail early
        }
    }

    /** Waits for every put started; the first failure is thrown. */
    void awaitPuts() throws IOException {
        while (!puts.isEmpty()) {
            join(puts.poll());
        }
    }

    /** The pieces at {@code keys}, fetched {@value #IN_FLIGHT} ahead of the reader, handed out in that order. */
    Prefetch prefetch(List<String> keys) {
        return new Prefetch(keys);
    }

    final class Prefetch {
        private final List<String> keys;
        private final Deque<Future<byte[]>> ahead = new ArrayDeque<>();
        private int next;

        private Prefetch(List<String> keys) {
            this.keys = keys;
        }

        /** The next piece's bytes, or null if the store has no such object. */
        byte[] take() throws IOException {
            while (ahead.size() < IN_FLIGHT && next < keys.size()) {
                String key = keys.get(next++);
                ahead.add(pool.submit(() -> store.get(key).orElse(null)));
            }
            if (ahead.isEmpty()) {
                throw new IllegalStateException("no more pieces");
            }
            return join(ahead.poll());
        }
    }

    private static <T> T join(Future<T> f) throws IOException {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            if (cause instanceof UncheckedIOException u) {
                throw u.getCause();
            }
            throw new IOException(cause);
        }
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
