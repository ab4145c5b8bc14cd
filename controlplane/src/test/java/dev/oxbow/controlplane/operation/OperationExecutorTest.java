package dev.oxbow.controlplane.operation;

import dev.oxbow.metadata.OperationKind;
import dev.oxbow.controlplane.metrics.ControlPlaneMetrics;
import dev.oxbow.controlplane.resource.ApiException;
import dev.oxbow.controlplane.testing.FakeClock;
import dev.oxbow.metadata.MetadataStore;
import dev.oxbow.metadata.Operation;
import dev.oxbow.metadata.Project;
import dev.oxbow.metadata.RecordJson;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The operation state machine against a real metadata store: an operation is stored pending, then done with a
 * response or an error; one project's operations run in turn; a restart resumes what was left, or gives up.
 */
class OperationExecutorTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    private final FakeClock clock = new FakeClock();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final List<String> log = new CopyOnWriteArrayList<>();
    private MetadataStore store;
    private OperationExecutor executor;

    /** A handler whose work a test supplies; it records runs and compensations. */
    private final class Handler implements OperationHandler {
        interface Work {
            OperationResult run(Operation op, OperationContext ctx) throws Exception;
        }

        private final String kind;
        private final Work work;

        Handler(String kind, Work work) {
            this.kind = kind;
            this.work = work;
        }

        @Override
        public OperationResult run(Operation op, OperationContext ctx) throws Exception {
            log.add("run " + kind + " " + op.projectId() + " attempt " + op.attempts());
            return work.run(op, ctx);
        }

        @Override
        public void compensate(Operation op) {
            log.add("compensate " + kind + " " + op.projectId());
        }
    }

    private final Map<OperationKind, OperationHandler> handlers = new java.util.HashMap<>();

    @BeforeEach
    void open() {
        store = MetadataStore.open(dir.resolve("oxbow.db"));
    }

    @AfterEach
    void close() {
        if (executor != null) {
            executor.close();
        }
        store.close();
    }

    private OperationExecutor executor() {
        executor = new OperationExecutor(store, handlers, clock, new ControlPlaneMetrics(registry));
        return executor;
    }

    private static Project project(String id) {
        return new Project(id, "proj-" + id, null, null, null, null, id, 17, 604800,
                new dev.oxbow.metadata.EndpointDefaults(0.5, 4, 300L, false, Map.of()), "production", null, null, false, "o@x");
    }

    /** Persists and submits, as every service does. */
    private OperationExecutor.Submission accept(Operation op) {
        store.operations().put(op);
        return executor.submit(op);
    }

    private static OperationRequest restore(String oldBranchId) {
        return new OperationRequest.RestoreBranch(null, null, oldBranchId, null, null);
    }

    private Operation stored(Operation op) {
        return store.operations().get(op.name()).orElseThrow();
    }

    private static Operation await(OperationExecutor.Submission s) throws Exception {
        return s.done().get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    @Test
    void createdOperationIsNamedUnderItsResourceAndNotDone() {
        Operation op = executor().create("projects/p1/branches/dev", "p1", OperationKind.CREATE_BRANCH, "BranchOperationMetadata",
                OperationRequest.CreateBranch.of(new dev.oxbow.storage.PointInTimeRecovery.Target("0/16B3748", null)));
        assertThat(op.name()).matches("projects/p1/branches/dev/operations/[0-9a-f-]{36}");
        assertThat(op.resourceName()).isEqualTo("projects/p1/branches/dev");
        assertThat(op.metadataType()).isEqualTo("type.googleapis.com/databricks.postgres.v1.BranchOperationMetadata");
        assertThat(op.done()).isFalse();
        assertThat(op.attempts()).isZero();
        assertThat(op.createTime()).isEqualTo(clock.instant());
        assertThat(op.request()).contains("\"source_branch_lsn\"", "0/16B3748");
        assertThat(executor.create("projects/p1", "p1", OperationKind.UPDATE_PROJECT, "M", OperationRequest.NONE).request()).isNull();
    }

    @Test
    void operationsOfAKindWithoutAHandlerAreRefused() {
        Operation op = executor().create("projects/p1", "p1", OperationKind.SYNC_SYNCED_TABLE, "M", OperationRequest.NONE);
        assertThatThrownBy(() -> executor.submit(op)).isInstanceOf(IllegalStateException.class).hasMessageContaining("SYNC_SYNCED_TABLE");
    }

    @Test
    void operationIsStoredPendingWhileItRunsThenDoneWithItsResponse() throws Exception {
        CompletableFuture<Optional<Operation>> seenWhileRunning = new CompletableFuture<>();
        handlers.put(OperationKind.CREATE_PROJECT, new Handler("CREATE_PROJECT", (op, ctx) -> {
            seenWhileRunning.complete(store.operations().get(op.name()));
            clock.advance(Duration.ofSeconds(5));
            return OperationResult.of(project("p1"));
        }));
        Operation op = executor().create("projects/p1", "p1", OperationKind.CREATE_PROJECT, "ProjectOperationMetadata", OperationRequest.NONE);
        Operation done = await(accept(op));

        assertThat(seenWhileRunning.get()).hasValueSatisfying(running -> assertThat(running.done()).isFalse());
        assertThat(store.operations().pending()).isEmpty();
        assertThat(stored(op)).isEqualTo(done);
        assertThat(done.done()).isTrue();
        assertThat(done.errorCode()).isNull();
        assertThat(done.resultKind()).isEqualTo("project");
        assertThat(new RecordJson().read(done.result(), Project.class)).isEqualTo(project("p1"));
        assertThat(done.createTime()).isEqualTo(op.createTime());
        assertThat(done.updateTime()).isEqualTo(op.createTime().plusSeconds(5));
        assertThat(registry.get("oxbow.operation.duration").tags("kind", "CREATE_PROJECT", "outcome", "done").timer().count()).isEqualTo(1);
    }

    @Test
    void deleteLikeOperationsFinishWithAnEmptyResponse() throws Exception {
        handlers.put(OperationKind.DELETE_PROJECT, new Handler("DELETE_PROJECT", (op, ctx) -> OperationResult.empty()));
        Operation done = await(accept(executor().create("projects/p1", "p1", OperationKind.DELETE_PROJECT, "M", new OperationRequest.Delete(false))));
        assertThat(done.done()).isTrue();
        assertThat(done.resultKind()).isEqualTo(OperationResult.EMPTY);
        assertThat(done.result()).isNull();
        assertThat(done.errorCode()).isNull();
    }

    @Test
    void refusalBecomesTheOperationsErrorAndIsCompensated() throws Exception {
        handlers.put(OperationKind.CREATE_BRANCH, new Handler("CREATE_BRANCH", (op, ctx) -> {
            throw ApiException.quota("Project projects/p1 has reached its limit of 500 branches.");
        }));
        Operation op = executor().create("projects/p1/branches/b", "p1", OperationKind.CREATE_BRANCH, "M", OperationRequest.CreateBranch.of(null));
        Operation failed = await(accept(op));
        assertThat(failed.done()).isTrue();
        assertThat(failed.errorCode()).isEqualTo("QUOTA_EXCEEDED");
        assertThat(failed.errorMessage()).isEqualTo("Project projects/p1 has reached its limit of 500 branches.");
        assertThat(failed.result()).isNull();
        assertThat(stored(op)).isEqualTo(failed);
        assertThat(log).containsExactly("run CREATE_BRANCH p1 attempt 0", "compensate CREATE_BRANCH p1");
        assertThat(registry.get("oxbow.operation.duration").tags("outcome", "failed").timer().count()).isEqualTo(1);
    }

    @Test
    void unexpectedFailureIsAnInternalErrorWithItsMessage() throws Exception {
        handlers.put(OperationKind.CREATE_ENDPOINT, new Handler("A", (op, ctx) -> {
            throw new java.io.IOException("disk full");
        }));
        handlers.put(OperationKind.DELETE_ENDPOINT, new Handler("B", (op, ctx) -> {
            throw new NullPointerException();
        }));
        Operation a = await(accept(executor().create("projects/p1", "p1", OperationKind.CREATE_ENDPOINT, "M", OperationRequest.NONE)));
        Operation b = await(accept(executor.create("projects/p1", "p1", OperationKind.DELETE_ENDPOINT, "M", OperationRequest.NONE)));
        assertThat(a.errorCode()).isEqualTo("INTERNAL_ERROR");
        assertThat(a.errorMessage()).isEqualTo("disk full");
        assertThat(b.errorMessage()).isEqualTo("NullPointerException");
    }

    @Test
    void failingCompensationStillRecordsTheFailure() throws Exception {
        handlers.put(OperationKind.CREATE_ENDPOINT, new OperationHandler() {
            @Override
            public OperationResult run(Operation op, OperationContext ctx) {
                throw ApiException.invalid("bad spec");
            }

            @Override
            public void compensate(Operation op) throws Exception {
                throw new IllegalStateException("rollback broke");
            }
        });
        Operation failed = await(accept(executor().create("projects/p1", "p1", OperationKind.CREATE_ENDPOINT, "M", OperationRequest.NONE)));
        assertThat(failed.errorCode()).isEqualTo("INVALID_PARAMETER_VALUE");
        assertThat(failed.errorMessage()).isEqualTo("bad spec");
    }

    @Test
    void callerWaitingForThePointIsReleasedBeforeTheOperationEnds() throws Exception {
        CountDownLatch finish = new CountDownLatch(1);
        handlers.put(OperationKind.CREATE_BRANCH, new Handler("CREATE_BRANCH", (op, ctx) -> {
            ctx.pointTaken();
            finish.await();
            return OperationResult.empty();
        }));
        var submission = accept(executor().create("projects/p1/branches/b", "p1", OperationKind.CREATE_BRANCH, "M", OperationRequest.CreateBranch.of(null)));
        submission.pointTaken().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(submission.done()).isNotDone();
        finish.countDown();
        assertThat(await(submission).done()).isTrue();
    }

    @Test
    void pointIsReleasedEvenWhenTheHandlerNeverTakesOne() throws Exception {
        handlers.put(OperationKind.CREATE_ENDPOINT, new Handler("A", (op, ctx) -> {
            throw ApiException.invalid("no");
        }));
        var submission = accept(executor().create("projects/p1", "p1", OperationKind.CREATE_ENDPOINT, "M", OperationRequest.NONE));
        submission.awaitPoint(WAIT);
        assertThat(submission.pointTaken()).isCompleted();
    }

    @Test
    void operationsOfOneProjectRunInTurnOthersInParallel() throws Exception {
        CountDownLatch releaseFirst = new CountDownLatch(1);
        handlers.put(OperationKind.UPDATE_BRANCH, new Handler("SLOW", (op, ctx) -> {
            releaseFirst.await();
            return OperationResult.empty();
        }));
        handlers.put(OperationKind.UNDELETE_BRANCH, new Handler("FAST", (op, ctx) -> OperationResult.empty()));
        var slow = accept(executor().create("projects/p1", "p1", OperationKind.UPDATE_BRANCH, "M", OperationRequest.NONE));
        var queued = accept(executor.create("projects/p1", "p1", OperationKind.UNDELETE_BRANCH, "M", OperationRequest.NONE));
        var other = accept(executor.create("projects/p2", "p2", OperationKind.UNDELETE_BRANCH, "M", OperationRequest.NONE));

        assertThat(await(other).done()).isTrue(); // p2 does not wait for p1
        assertThat(queued.done()).isNotDone();
        assertThat(log).doesNotContain("run FAST p1 attempt 0");
        assertThat(store.operations().pending()).hasSize(2);
        releaseFirst.countDown();
        await(slow);
        await(queued);
        assertThat(log).containsSubsequence("run SLOW p1 attempt 0", "run FAST p1 attempt 0");
    }

    @Test
    void backgroundWorkRunsInTurnWithTheProjectsOperations() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        handlers.put(OperationKind.UPDATE_BRANCH, new Handler("SLOW", (op, ctx) -> {
            release.await();
            log.add("slow done");
            return OperationResult.empty();
        }));
        accept(executor().create("projects/p1", "p1", OperationKind.UPDATE_BRANCH, "M", OperationRequest.NONE));
        CompletableFuture<Void> snapshot = executor.enqueue("p1", () -> log.add("snapshot"));
        assertThat(snapshot).isNotDone();
        release.countDown();
        snapshot.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(log).containsSubsequence("slow done", "snapshot");

        CompletableFuture<Void> failing = executor.enqueue("p1", () -> {
            throw new IllegalStateException("prune failed");
        });
        assertThatThrownBy(() -> failing.get(WAIT.toSeconds(), TimeUnit.SECONDS)).hasRootCauseMessage("prune failed");
        // a failed piece of work does not block the queue
        executor.enqueue("p1", () -> log.add("next")).get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(log).endsWith("next");
    }

    @Test
    void operationInterruptedByShutdownStaysPendingAndResumesAfterRestart() throws Exception {
        CountDownLatch running = new CountDownLatch(1);
        handlers.put(OperationKind.CREATE_PROJECT, new Handler("CREATE_PROJECT", (op, ctx) -> {
            if (op.attempts() == 0) {
                running.countDown();
                new CountDownLatch(1).await(); // until shutdown interrupts it
            }
            return OperationResult.of(project("p1"));
        }));
        Operation op = executor().create("projects/p1", "p1", OperationKind.CREATE_PROJECT, "M", OperationRequest.NONE);
        var first = accept(op);
        assertThat(running.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
        executor.close();
        assertThatThrownBy(() -> first.done().get(WAIT.toSeconds(), TimeUnit.SECONDS)).hasCauseInstanceOf(InterruptedException.class);
        assertThat(stored(op).done()).isFalse();
        store.close();

        // the next process
        store = MetadataStore.open(dir.resolve("oxbow.db"));
        assertThat(store.operations().pending()).extracting(Operation::name).containsExactly(op.name());
        clock.advance(Duration.ofMinutes(1));
        executor().resumePending();
        Operation done = awaitStored(op);
        assertThat(done.errorCode()).isNull();
        assertThat(done.resultKind()).isEqualTo("project");
        assertThat(done.attempts()).isEqualTo(1);
        assertThat(log).containsExactly("run CREATE_PROJECT p1 attempt 0", "run CREATE_PROJECT p1 attempt 1");
        assertThat(log).doesNotContain("compensate CREATE_PROJECT p1");
    }

    @Test
    void resumedOperationsRunOldestFirst() throws Exception {
        handlers.put(OperationKind.RESTORE_BRANCH, new Handler("A", (op, ctx) -> {
            log.add(op.request());
            return OperationResult.empty();
        }));
        executor();
        Operation first = executor.create("projects/p1", "p1", OperationKind.RESTORE_BRANCH, "M", restore("first"));
        clock.advance(Duration.ofSeconds(1));
        Operation second = executor.create("projects/p1", "p1", OperationKind.RESTORE_BRANCH, "M", restore("second"));
        store.operations().put(second);
        store.operations().put(first);
        executor.resumePending();
        awaitStored(first);
        awaitStored(second);
        assertThat(log).containsExactly("run A p1 attempt 1", "{\"old_branch_id\":\"first\"}", "run A p1 attempt 1", "{\"old_branch_id\":\"second\"}");
        assertThat(stored(first).updateTime()).isBeforeOrEqualTo(stored(second).updateTime());
    }

    @Test
    void operationInterruptedTooOftenIsRolledBackAndAborted() throws Exception {
        handlers.put(OperationKind.CREATE_BRANCH, new Handler("CREATE_BRANCH", (op, ctx) -> OperationResult.empty()));
        Operation op = executor().create("projects/p1/branches/b", "p1", OperationKind.CREATE_BRANCH, "M", OperationRequest.CreateBranch.of(null));
        Operation thrice = op.nextAttempt(clock.instant()).nextAttempt(clock.instant()).nextAttempt(clock.instant());
        store.operations().put(thrice);

        executor.resumePending();

        Operation aborted = stored(op);
        assertThat(aborted.done()).isTrue();
        assertThat(aborted.errorCode()).isEqualTo("ABORTED");
        assertThat(aborted.errorMessage()).contains("interrupted by 3 server restarts", "rolled back", "retry");
        assertThat(aborted.attempts()).isEqualTo(4);
        assertThat(log).containsExactly("compensate CREATE_BRANCH p1");
        assertThat(store.operations().pending()).isEmpty();
    }

    @Test
    void eachRestartCountsAnAttempt() throws Exception {
        handlers.put(OperationKind.CREATE_ENDPOINT, new Handler("A", (op, ctx) -> OperationResult.empty()));
        Operation op = executor().create("projects/p1", "p1", OperationKind.CREATE_ENDPOINT, "M", OperationRequest.NONE).nextAttempt(clock.instant());
        store.operations().put(op);
        executor.resumePending();
        assertThat(awaitStored(op).attempts()).isEqualTo(2);
        assertThat(log).containsExactly("run A p1 attempt 2");
    }

    /** Polls the store until the operation is done, as a client polling GET operation would. */
    private Operation awaitStored(Operation op) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            Operation current = stored(op);
            if (current.done()) {
                return current;
            }
            Thread.sleep(5);
        }
        throw new AssertionError("operation " + op.name() + " not done within " + WAIT);
    }
}
