package dev.oxbow.controlplane.operation;

import dev.oxbow.metadata.OperationKind;
import dev.oxbow.controlplane.metrics.ControlPlaneMetrics;
import dev.oxbow.controlplane.resource.ApiException;
import dev.oxbow.metadata.MetadataStore;
import dev.oxbow.metadata.Operation;
import dev.oxbow.metadata.RecordJson;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs persisted operations. Operations of one project run one after another (so a branch never
 * clones a parent that is still being created); different projects run in parallel.
 */
public final class OperationExecutor implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(OperationExecutor.class);
    /** An operation interrupted by this many restarts is failed instead of resumed again. */
    private static final int MAX_ATTEMPTS = 3;

    private final MetadataStore store;
    private final Map<OperationKind, OperationHandler> handlers;
    private final Clock clock;
    private final RecordJson json = new RecordJson();
    private final OperationRequestCodec requests = new OperationRequestCodec();
    private final ExecutorService pool = Executors.newCachedThreadPool(Thread.ofPlatform().name("oxbow-op-", 0).daemon().factory());
    private final Map<String, CompletableFuture<Void>> tails = new ConcurrentHashMap<>();
    private volatile boolean closing;

    private final ControlPlaneMetrics metrics;

    public OperationExecutor(MetadataStore store, Map<OperationKind, OperationHandler> handlers, Clock clock, ControlPlaneMetrics metrics) {
        this.metrics = metrics;
        this.store = store;
        this.handlers = Map.copyOf(handlers);
        this.clock = clock;
    }

    /** A new, not yet persisted operation on {@code resourceName}. */
    public Operation create(String resourceName, String projectId, OperationKind kind, String metadataType, OperationRequest request) {
        var now = clock.instant();
        return new Operation(resourceName + "/operations/" + UUID.randomUUID(), resourceName, projectId, kind,
                "type.googleapis.com/databricks.postgres.v1." + metadataType, false,
                requests.write(kind, request), null, null, null, null, now, now, 0);
    }


    /** Queues an already persisted operation. */
    public Submission submit(Operation op) {
        OperationHandler handler = handlers.get(op.kind());
        if (handler == null) {
            throw new IllegalStateException("no handler for operation kind " + op.kind());
        }
        Submission submission = new Submission(new CompletableFuture<>(), new CompletableFuture<>());
        String key = op.projectId() == null ? "" : op.projectId();
        tails.compute(key, (k, tail) -> (tail == null ? CompletableFuture.<Void>completedFuture(null) : tail)
                .thenRunAsync(() -> execute(op, handler, submission), pool)
                .exceptionally(e -> null));
        return submission;
    }

    /**
     * Runs background work on a project (snapshots, pruning) in turn with its operations, so it never
     * meets a half-done restore or delete. Not persisted: the next check runs it again if it is lost.
     */
    public CompletableFuture<Void> enqueue(String projectId, Runnable work) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        tails.compute(projectId, (k, tail) -> (tail == null ? CompletableFuture.<Void>completedFuture(null) : tail)
                .thenRunAsync(() -> {
                    try {
                        work.run();
                        done.complete(null);
                    } catch (Throwable e) {
                        done.completeExceptionally(e);
                    }
                }, pool)
                .exceptionally(e -> null));
        return done;
    }

    /** Resumes (or, after too many interruptions, fails) every operation a previous process left unfinished. */
    public void resumePending() {
        for (Operation op : store.operations().pending()) {
            Operation again = op.nextAttempt(clock.instant());
            store.operations().put(again);
            if (again.attempts() > MAX_ATTEMPTS) {
                log.warn("operation given up after restarts op={} kind={} attempts={}", op.name(), op.kind(), op.attempts());
                OperationHandler handler = handlers.get(op.kind());
                compensate(again, handler);
                store.operations().put(again.failed("ABORTED",
                        "Operation was interrupted by " + op.attempts() + " server restarts and was rolled back; retry the request.",
                        clock.instant()));
                continue;
            }
            log.info("operation resumed op={} kind={} attempt={}", op.name(), op.kind(), again.attempts());
            submit(again);
        }
    }

    private void execute(Operation op, OperationHandler handler, Submission submission) {
        long start = System.nanoTime();
        OperationContext ctx = () -> submission.pointTaken().complete(null);
        try {
            OperationResult result = handler.run(op, ctx);
            Operation done = op.finished(result.kind(), result.resource() == null ? null : json.write(result.resource()), clock.instant());
            store.operations().put(done);
            log.info("operation done op={} kind={} ms={}", op.name(), op.kind(), (System.nanoTime() - start) / 1_000_000);
            metrics.operation(op.kind().name(), true, java.time.Duration.ofNanos(System.nanoTime() - start));
            submission.done().complete(done);
        } catch (Throwable e) {
            if (closing) {
                log.info("operation interrupted by shutdown, will resume at next start op={}", op.name());
                submission.done().completeExceptionally(e);
                return;
            }
            ApiException api = e instanceof ApiException a ? a : null;
            if (api == null) {
                log.error("operation failed op={} kind={}", op.name(), op.kind(), e);
            } else {
                log.info("operation refused op={} kind={} code={} message={}", op.name(), op.kind(), api.errorCode(), api.getMessage());
            }
            compensate(op, handler);
            Operation failed = op.failed(api == null ? "INTERNAL_ERROR" : api.errorCode(),
                    api == null ? describe(e) : api.getMessage(), clock.instant());
            store.operations().put(failed);
            metrics.operation(op.kind().name(), false, java.time.Duration.ofNanos(System.nanoTime() - start));
            submission.done().complete(failed);
        } finally {
            submission.pointTaken().complete(null);
        }
    }

    private void compensate(Operation op, OperationHandler handler) {
        if (handler == null) {
            return;
        }
        try {
            handler.compensate(op);
        } catch (Exception ce) {
            log.error("operation rollback failed op={} kind={}", op.name(), op.kind(), ce);
        }
    }

    private static String describe(Throwable e) {
        String message = e.getMessage();
        return message == null || message.isBlank() ? e.getClass().getSimpleName() : message;
    }

    @Override
    public void close() {
        closing = true;
        pool.shutdownNow();
        try {
            if (!pool.awaitTermination(30, TimeUnit.SECONDS)) {
                log.warn("operations still running at shutdown; they resume at next start");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Futures for one queued operation: its synchronous point, and its end. */
    public record Submission(CompletableFuture<Void> pointTaken, CompletableFuture<Operation> done) {
        /** Waits up to {@code max} for the point; returns quietly on timeout (the operation still runs). */
        public void awaitPoint(Duration max) {
            try {
                pointTaken.get(max.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                // the caller gets the in-progress operation back
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                // failures surface through the operation itself
            }
        }
    }
}
