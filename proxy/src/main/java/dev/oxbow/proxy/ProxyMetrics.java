package dev.oxbow.proxy;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/** Login outcomes, for logs and (later) the metrics endpoint. */
public final class ProxyMetrics {
    private final Map<String, AtomicLong> authenticated = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> refused = new ConcurrentHashMap<>();

    void authenticated(String method) {
        authenticated.computeIfAbsent(method, k -> new AtomicLong()).incrementAndGet();
    }

    void refused(String sqlState) {
        refused.computeIfAbsent(sqlState, k -> new AtomicLong()).incrementAndGet();
    }

    public long authenticatedCount(String method) {
        return authenticated.getOrDefault(method, new AtomicLong()).get();
    }

    public long refusedCount(String sqlState) {
        return refused.getOrDefault(sqlState, new AtomicLong()).get();
    }
}
