package dev.oxbow.dataapi;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;

/**
 * A few idle authenticator connections per compute and database, so a request does not pay for a new backend. A
 * connection idle for longer than {@code checkAfter} is checked before reuse: the compute may have been suspended and
 * woken since. Connections that saw an error are not returned.
 */
public final class ConnectionPool implements AutoCloseable {
    /** Opens a new connection for a key. */
    public interface Opener {
        Connection open() throws SQLException;
    }

    private record Idle(Connection connection, Instant since) {}

    private final int maxIdlePerKey;
    private final Duration checkAfter;
    private final Clock clock;
    private final Map<String, Deque<Idle>> idle = new HashMap<>();
    private boolean closed;

    public ConnectionPool(int maxIdlePerKey, Duration checkAfter, Clock clock) {
        this.maxIdlePerKey = maxIdlePerKey;
        this.checkAfter = checkAfter;
        this.clock = clock;
    }

    /** An idle connection for {@code key} that still works, else a new one. */
    public Connection borrow(String key, Opener opener) throws SQLException {
        while (true) {
            Idle candidate;
            synchronized (this) {
                Deque<Idle> q = idle.get(key);
                candidate = q == null ? null : q.pollFirst();
            }
            if (candidate == null) {
                return opener.open();
            }
            boolean stale = candidate.since().plus(checkAfter).isBefore(clock.instant());
            if (!stale || candidate.connection().isValid(2)) {
                return candidate.connection();
            }
            quietlyClose(candidate.connection());
        }
    }

    /** Returns a healthy connection (outside any transaction) for reuse; closes it when the pool is full. */
    public void giveBack(String key, Connection c) {
        synchronized (this) {
            Deque<Idle> q = idle.computeIfAbsent(key, k -> new ArrayDeque<>());
            if (!closed && q.size() < maxIdlePerKey) {
                q.addFirst(new Idle(c, clock.instant()));
                return;
            }
        }
        quietlyClose(c);
    }

    /** Closes every idle connection of keys starting with {@code prefix} (a compute that went away). */
    public void evict(String prefix) {
        java.util.List<Idle> gone = new java.util.ArrayList<>();
        synchronized (this) {
            idle.entrySet().removeIf(e -> {
                if (e.getKey().startsWith(prefix)) {
                    gone.addAll(e.getValue());
                    return true;
                }
                return false;
            });
        }
        gone.forEach(i -> quietlyClose(i.connection()));
    }

    public synchronized int idleCount(String key) {
        Deque<Idle> q = idle.get(key);
        return q == null ? 0 : q.size();
    }

    public static void quietlyClose(Connection c) {
        try {
            c.close();
        } catch (SQLException ignored) {
            // already broken
        }
    }

    @Override
    public void close() {
        synchronized (this) {
            closed = true;
        }
        evict("");
    }
}
