package dev.oxbow.proxy;

import java.util.concurrent.CompletableFuture;

/**
 * What keeps a pooled session's compute awake: the session counts against its endpoint (a {@link ProxyBackend#acquire})
 * only while the client has a query or transaction in flight, from its first message after a ReadyForQuery "idle"
 * until the next one. An idle pooled client holds nothing, so its compute may suspend under it; PgBouncer keeps the
 * client's connection, and its next message acquires again, which wakes the compute before the message goes on to
 * PgBouncer (which then connects to the woken server). Used on the session's event loop only.
 */
final class PooledLease {
    private static final CompletableFuture<Void> HELD = CompletableFuture.completedFuture(null);

    private final ProxyBackend backend;
    private final String endpointUid;
    private boolean held;
    private boolean closed;
    /** Messages sent that PgBouncer answers with a ReadyForQuery (Query, Sync, FunctionCall) and not answered yet. */
    private int awaitingReady;

    /** Takes over the count of the login's acquire: the startup itself ends with a ReadyForQuery. */
    PooledLease(ProxyBackend backend, String endpointUid) {
        this.backend = backend;
        this.endpointUid = endpointUid;
        this.held = true;
    }

    boolean held() {
        return held;
    }

    /** The client sends: completes once the endpoint is counted and its compute runs (at once when it already is). */
    CompletableFuture<?> busy() {
        if (held || closed) {
            return HELD;
        }
        held = true;
        return backend.acquire(endpointUid);
    }

    /** The client sent a message of {@code type}. */
    void sent(byte type) {
        if (type == 'Q' || type == 'S' || type == 'F') {
            awaitingReady++;
        }
    }

    /** PgBouncer sent ReadyForQuery with transaction status {@code status} ('I' idle, 'T' in a transaction, 'E' failed one). */
    void ready(int status) {
        if (awaitingReady > 0) {
            awaitingReady--;
        }
        if (awaitingReady == 0 && status == 'I' && held) {
            held = false;
            backend.release(endpointUid);
        }
    }

    /** The session ended. */
    void closed() {
        closed = true;
        if (held) {
            held = false;
            backend.release(endpointUid);
        }
    }
}
