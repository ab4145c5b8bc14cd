package dev.oxbow.proxy;

import java.net.InetAddress;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Connections that have not logged in yet, in all and per client address, so silent or slow clients cannot hold
 * an unbounded number of sockets. At a cap the oldest pending connection (of that address, or of all) makes room
 * for the new one: a flood then only pushes out its own stale connections, while a real login, which takes
 * milliseconds, gets through; refusing newcomers instead would let a few silent sockets lock everyone out.
 * Thread-safe: every accept and release takes one short lock.
 */
final class PendingLogins {
    private final int max;
    private final int maxPerAddress;
    private final LinkedHashSet<Permit> all = new LinkedHashSet<>();
    private final Map<InetAddress, LinkedHashSet<Permit>> byAddress = new HashMap<>();

    PendingLogins(int max, int maxPerAddress) {
        this.max = max;
        this.maxPerAddress = maxPerAddress;
    }

    /**
     * Admits a connection from {@code address}. If that passes a cap, the oldest pending connection of the address
     * (or of all) stops counting and is told why through {@code onEvicted} (called outside the lock).
     */
    Permit admit(InetAddress address, Consumer<String> onEvicted) {
        Permit evicted = null;
        String reason = null;
        Permit permit = new Permit(address, onEvicted);
        synchronized (this) {
            LinkedHashSet<Permit> mine = byAddress.computeIfAbsent(address, a -> new LinkedHashSet<>());
            if (mine.size() >= maxPerAddress) {
                evicted = oldest(mine);
                reason = "too many connections from this address are waiting to log in; try again later";
            } else if (all.size() >= max) {
                evicted = oldest(all);
                reason = "too many connections are waiting to log in; try again later";
            }
            if (evicted != null) {
                forget(evicted); // may drop the address's (now empty) set from the map
            }
            byAddress.computeIfAbsent(address, a -> new LinkedHashSet<>()).add(permit);
            all.add(permit);
        }
        if (evicted != null) {
            evicted.onEvicted.accept(reason);
        }
        return permit;
    }

    synchronized int pending() {
        return all.size();
    }

    synchronized int pending(InetAddress address) {
        LinkedHashSet<Permit> mine = byAddress.get(address);
        return mine == null ? 0 : mine.size();
    }

    private static Permit oldest(LinkedHashSet<Permit> permits) {
        Iterator<Permit> first = permits.iterator();
        return first.next();
    }

    /** Removes a permit from the counts; false if it was no longer counted (released or evicted before). */
    private synchronized boolean forget(Permit permit) {
        if (!all.remove(permit)) {
            return false;
        }
        LinkedHashSet<Permit> mine = byAddress.get(permit.address);
        mine.remove(permit);
        if (mine.isEmpty()) {
            byAddress.remove(permit.address);
        }
        return true;
    }

    /** One admitted connection; released once it has logged in or closed, whichever comes first. Idempotent. */
    final class Permit {
        private final InetAddress address;
        private final Consumer<String> onEvicted;

        private Permit(InetAddress address, Consumer<String> onEvicted) {
            this.address = address;
            this.onEvicted = onEvicted;
        }

        void release() {
            forget(this);
        }
    }
}
