package dev.oxbow.storage.object;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * A fault a test puts into {@link TestS3Server}: every PUT of a key it matches waits, unanswered, until the hold
 * is closed and then fails, so the bucket never gets it. A test holds an upload at a chosen point this way (and
 * kills the uploader there) instead of racing it.
 */
public final class PutHold implements AutoCloseable {
    /** How long a held PUT waits at most if a test never closes its hold. */
    private static final Duration MAX_HOLD = Duration.ofMinutes(10);

    private final Predicate<String> matches;
    private final Consumer<PutHold> onClose;
    private final AtomicReference<String> firstHeld = new AtomicReference<>();
    private final CountDownLatch held = new CountDownLatch(1);
    private final CountDownLatch released = new CountDownLatch(1);

    PutHold(Predicate<String> matches, Consumer<PutHold> onClose) {
        this.matches = matches;
        this.onClose = onClose;
    }

    /** Called by the server for every PUT: returns at once for a key not held, else waits and throws. */
    void check(String key) {
        if (!matches.test(key)) {
            return;
        }
        firstHeld.compareAndSet(null, key);
        held.countDown();
        try {
            released.await(MAX_HOLD.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        throw new IllegalStateException("PUT of " + key + " refused by a test's hold");
    }

    /** Waits until a matching PUT arrives; returns its key. */
    public String awaitHeld(Duration timeout) throws InterruptedException {
        if (!held.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("no PUT matching the hold arrived within " + timeout);
        }
        return firstHeld.get();
    }

    /** Ends the hold: PUTs waiting fail now, later ones go through. */
    @Override
    public void close() {
        onClose.accept(this);
        released.countDown();
    }
}
