package dev.oxbow.dataapi;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Schema caches per compute and database, reloaded when the catalog changed: every request first reads a cheap
 * fingerprint of pg_class, pg_attribute's owner rows, pg_proc and pg_constraint (newest row version and row counts), so
 * a table created a moment ago is served without a reload signal (PostgREST needs NOTIFY pgrst for that).
 */
public final class SchemaCaches {
    private static final String FINGERPRINT = "SELECT concat_ws(',',"
            + " (SELECT max(xmin::text::bigint) || ':' || count(*) FROM pg_catalog.pg_class),"
            + " (SELECT max(xmin::text::bigint) || ':' || count(*) FROM pg_catalog.pg_proc),"
            + " (SELECT max(xmin::text::bigint) || ':' || count(*) FROM pg_catalog.pg_constraint),"
            + " (SELECT max(xmin::text::bigint) || ':' || count(*) FROM pg_catalog.pg_namespace))";

    private record Entry(String fingerprint, List<String> schemas, SchemaCache cache) {}

    private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();

    /** The cache of {@code schemas} as {@code c} sees them now. */
    public SchemaCache get(String key, Connection c, List<String> schemas) throws SQLException {
        String fingerprint;
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(FINGERPRINT)) {
            rs.next();
            fingerprint = rs.getString(1);
        }
        Entry e = entries.get(key);
        if (e != null && e.fingerprint().equals(fingerprint) && e.schemas().equals(schemas)) {
            return e.cache();
        }
        SchemaCache loaded = SchemaCache.load(c, schemas);
        entries.put(key, new Entry(fingerprint, List.copyOf(schemas), loaded));
        return loaded;
    }
}
