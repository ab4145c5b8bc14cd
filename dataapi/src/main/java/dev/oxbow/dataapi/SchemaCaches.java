package dev.oxbow.dataapi;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Schema caches per compute and database, reloaded when the catalog changed. Whether it changed is a cheap fingerprint
 * of pg_class, pg_proc, pg_constraint and pg_namespace (newest row version and row counts), read at most once per
 * {@code recheckAfter} per database — and at once when a request names something the cache lacks
 * ({@link #checkedNow}), so a table created a moment ago is served without a reload signal (PostgREST needs NOTIFY
 * pgrst for that) while a steady stream of requests pays for no catalog reads.
 */
public final class SchemaCaches {
    private static final String FINGERPRINT = "SELECT concat_ws(',',"
            + " (SELECT max(xmin::text::bigint) || ':' || count(*) FROM pg_catalog.pg_class),"
            + " (SELECT max(xmin::text::bigint) || ':' || count(*) FROM pg_catalog.pg_proc),"
            + " (SELECT max(xmin::text::bigint) || ':' || count(*) FROM pg_catalog.pg_constraint),"
            + " (SELECT max(xmin::text::bigint) || ':' || count(*) FROM pg_catalog.pg_namespace))";

    private record Entry(String fingerprint, List<String> schemas, SchemaCache cache, Instant checked) {}

    private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();
    private final Clock clock;
    private final Duration recheckAfter;

    public SchemaCaches(Clock clock, Duration recheckAfter) {
        this.clock = clock;
        this.recheckAfter = recheckAfter;
    }

    /** The cache of {@code schemas}, checked against the catalog if the last check is older than recheckAfter. */
    public SchemaCache get(String key, Connection c, List<String> schemas) throws SQLException {
        Entry e = entries.get(key);
        if (e != null && e.schemas().equals(schemas) && clock.instant().isBefore(e.checked().plus(recheckAfter))) {
            return e.cache();
        }
        return checkedNow(key, c, schemas);
    }

    /** The cache of {@code schemas} as {@code c} sees the catalog now: reloaded only if the fingerprint moved. */
    public SchemaCache checkedNow(String key, Connection c, List<String> schemas) throws SQLException {
        Instant now = clock.instant();
        String fingerprint;
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(FINGERPRINT)) {
            rs.next();
            fingerprint = rs.getString(1);
        }
        Entry e = entries.get(key);
        if (e != null && e.fingerprint().equals(fingerprint) && e.schemas().equals(schemas)) {
            entries.put(key, new Entry(fingerprint, e.schemas(), e.cache(), now));
            return e.cache();
        }
        SchemaCache loaded = SchemaCache.load(c, schemas);
        entries.put(key, new Entry(fingerprint, List.copyOf(schemas), loaded, now));
        return loaded;
    }

    /** Forgets the caches of keys starting with {@code prefix} (a compute that went away or was reset). */
    public void evict(String prefix) {
        entries.keySet().removeIf(k -> k.startsWith(prefix));
    }
}
