package dev.oxbow.controlplane.resource;

import dev.oxbow.metadata.MetadataStore;

import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Values derived from the metadata (a request's data API, branch and endpoint; a token's caller), kept while the
 * metadata is unchanged ({@link MetadataStore#changes}: any write, a revoked token or a changed grant included, empties
 * it in effect) and until the value's own expiry (a token's). Failures are not kept. Bounded: when full it starts over.
 * Used by the Data API (its requests and callers), the compute activity (a pooled session's every transaction looks its
 * endpoint up) and the proxy's login checks (endpoint, role, identity and access of every login).
 */
public final class MetadataCache<V> {
    public record Loaded<V>(V value, Instant expires) {}

    private record Entry<V>(V value, long changes, Instant expires) {}

    private final MetadataStore store;
    private final Clock clock;
    private final int maxEntries;
    private final ConcurrentHashMap<String, Entry<V>> entries = new ConcurrentHashMap<>();

    public MetadataCache(MetadataStore store, Clock clock, int maxEntries) {
        this.store = store;
        this.clock = clock;
        this.maxEntries = maxEntries;
    }

    public V get(String key, Supplier<Loaded<V>> load) {
        return get(key, load, v -> true);
    }

    /**
     * As {@link #get(String, Supplier)}, but a loaded value {@code keep} refuses is returned without being kept: a
     * name nobody has (a client can make up any number) must not push out the entries of names in use.
     */
    public V get(String key, Supplier<Loaded<V>> load, java.util.function.Predicate<V> keep) {
        long changes = store.changes(); // read before the data: a write after this makes the entry stale, never hides
        Entry<V> e = entries.get(key);
        if (e != null && e.changes() == changes && clock.instant().isBefore(e.expires())) {
            return e.value();
        }
        Loaded<V> loaded = load.get();
        if (!keep.test(loaded.value())) {
            return loaded.value();
        }
        if (entries.size() >= maxEntries) {
            entries.clear();
        }
        entries.put(key, new Entry<>(loaded.value(), changes, loaded.expires()));
        return loaded.value();
    }
}
