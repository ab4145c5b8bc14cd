package dev.oxbow.server;

import java.time.Duration;

/**
 * Waits for a Databricks SDK long-running operation at test speed. The SDK's own {@code waitForCompletion} sleeps
 * 1-2 s, then 2-3 s, 3-4 s… between polls, so a 2.5 s branch create returns after 4 s and a 5.5 s project create after
 * 7.5 s: about 440 s of the server suite's wall time was spent in those sleeps (surefire output, "sleeping ~Ns").
 * Here the operation is polled every 100 ms ({@link TestServer#awaitOperation}); once it is done the SDK's wait is
 * called, which reads it at once (it polls before it sleeps) and returns its typed response or throws its typed
 * error exactly as before.
 */
final class SdkOperations {
    private static final Duration MAX = Duration.ofSeconds(300);

    /** The SDK's wait for an operation, as a call the test makes once the operation is done. */
    interface Completion<T> {
        T get() throws Exception;
    }

    /** The same for an operation with no response (a delete). */
    interface Ending {
        void run() throws Exception;
    }

    private SdkOperations() {}

    /** Waits until {@code operation} (its name) is done, then returns what the SDK's {@code waitForCompletion} returns. */
    static <T> T await(TestServer t, String operation, Completion<T> sdkWait) throws Exception {
        t.awaitOperation(operation, MAX);
        return sdkWait.get();
    }

    /** Waits until {@code operation} is done, then lets the SDK's {@code waitForCompletion} read it (and throw its error). */
    static void awaitEnded(TestServer t, String operation, Ending sdkWait) throws Exception {
        t.awaitOperation(operation, MAX);
        sdkWait.run();
    }
}
