package dev.oxbow.compute;

import java.util.ArrayDeque;
import java.util.Deque;

/** Crash times of one server within the restart policy's sliding window. */
final class CrashHistory {
    private final long windowNanos;
    private final Deque<Long> crashes = new ArrayDeque<>();

    CrashHistory(RestartPolicy policy) {
        this.windowNanos = policy.window().toNanos();
    }

    /** Records a crash at {@code nanoTime} and returns how many crashes the window now holds. */
    synchronized int record(long nanoTime) {
        crashes.addLast(nanoTime);
        while (nanoTime - crashes.peekFirst() > windowNanos) {
            crashes.removeFirst();
        }
        return crashes.size();
    }
}
