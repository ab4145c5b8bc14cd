package dev.oxbow.proxy;

import java.net.InetAddress;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Counts connections that have not logged in yet, in all and per client address, so silent or slow clients
 * cannot hold an unbounded number of sockets. Thread-safe: every accept and release takes one short lock.
 */
final class PendingLogins {
    private final int max;
    private final int maxPerAddress;
    private final Map<InetAddress, Integer> perAddress = new HashMap<>();
    private int total;

    PendingLogins(int max, int maxPerAddress) {
        this.max = max;
        this.maxPerAddress = maxPerAddress;
    }

    /** The outcome of {@link #admit}: a permit to hold, or the reason to refuse. */
    sealed interface Admission permits Admitted, Refused {}

    record Admitted(Permit permit) implements Admission {}

    record Refused(String message) implements Admission {}

    synchronized Admission admit(InetAddress address) {
        int fromAddress = perAddress.getOrDefault(address, 0);
        if (fromAddress >= maxPerAddress) {
            return new Refused("too many connections from this address are waiting to log in; try again later");
        }
        if (total >= max) {
            return new Refused("too many connections are waiting to log in; try again later");
        }
        perAddress.put(address, fromAddress + 1);
        total++;
        return new Admitted(new Permit(address));
    }

    synchronized int pending() {
        return total;
    }

    synchronized int pending(InetAddress address) {
        return perAddress.getOrDefault(address, 0);
    }

    private synchronized void release(InetAddress address) {
        total--;
        perAddress.computeIfPresent(address, (a, n) -> n == 1 ? null : n - 1);
    }

    /** One admitted connection; released once it has logged in or closed, whichever comes first. */
    final class Permit {
        private final InetAddress address;
        private final AtomicBoolean released = new AtomicBoolean();

        private Permit(InetAddress address) {
            this.address = address;
        }

        void release() {
            if (released.compareAndSet(false, true)) {
                PendingLogins.this.release(address);
            }
        }
    }
}
