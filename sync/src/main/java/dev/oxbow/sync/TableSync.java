package dev.oxbow.sync;

import io.delta.kernel.Snapshot;
import io.delta.kernel.data.ColumnVector;
import io.delta.kernel.data.ColumnarBatch;
import io.delta.kernel.types.StructType;
import org.postgresql.PGConnection;
import org.postgresql.util.PSQLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Brings one Postgres table up to the latest version of its Delta source, in one Postgres transaction that
 * also records the Delta version it reflects (table {@code _oxbow_sync.state}): a crash or restart never
 * loses or applies a change twice, because the next run starts from the version committed with the data.
 *
 * <p>Runs only in a session of {@link SyncRole#NAME}, never as superuser: a trigger, rule or function the tenant
 * managed to attach to what the sync touches runs with the sync role's rights and no more. The role owns the
 * tables it writes; a table of the target's name that it does not own is refused.
 *
 * <p>Full copies load a shadow table by binary COPY, add the primary key, and swap it in by rename; readers
 * see the old copy until commit. Incremental runs COPY the changes into a temporary table, then delete and
 * upsert by primary key in set-based statements.
 */
public final class TableSync {
    private static final Logger log = LoggerFactory.getLogger(TableSync.class);
    static final String STATE_SCHEMA = "_oxbow_sync";
    static final String STATE_TABLE = STATE_SCHEMA + ".state";
    private static final String CHANGES = "pg_temp._oxbow_changes";

    private TableSync() {}

    /** What create-time validation learned about the source. */
    public record SourceInfo(long version, List<String> columns) {}

    /**
     * Checks that the source exists and can be synced as specified: supported types, key columns present,
     * change data feed on for incremental modes.
     */
    public static SourceInfo validate(SyncSpec spec, DeltaSource source) throws SyncException {
        Snapshot latest = source.latest();
        List<PgColumn> columns = TypeMapping.columns(latest.getSchema());
        checkKeys(spec, columns);
        if (spec.incremental() && !source.changeDataFeedEnabled(latest)) {
            throw new SyncException("TRIGGERED and CONTINUOUS sync read the change data feed, but " + source.location()
                    + " does not have delta.enableChangeDataFeed=true. Enable it on the table or use SNAPSHOT.");
        }
        return new SourceInfo(latest.getVersion(), columns.stream().map(PgColumn::name).toList());
    }

    private static void checkKeys(SyncSpec spec, List<PgColumn> columns) throws SyncException {
        Map<String, PgColumn> byName = columns.stream().collect(Collectors.toMap(PgColumn::name, c -> c));
        if (spec.primaryKey().isEmpty()) {
            throw new SyncException("A primary key is required: set primary_key_columns.");
        }
        for (String k : spec.primaryKey()) {
            PgColumn c = byName.get(k);
            if (c == null) {
                throw new SyncException("Primary key column " + k + " is not a column of the source (columns: " + byName.keySet() + ").");
            }
            if (c.pgType().equals("jsonb")) {
                throw new SyncException("Primary key column " + k + " has nested type " + c.deltaType() + "; use scalar columns as the key.");
            }
        }
        if (spec.timeseriesKey() != null && !byName.containsKey(spec.timeseriesKey())) {
            throw new SyncException("Timeseries key " + spec.timeseriesKey() + " is not a column of the source.");
        }
    }

    /** The version Postgres reflects, or -1 when this synced table has not loaded yet. */
    public static long syncedVersion(Connection c, String syncedTable) throws SQLException {
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT to_regclass('" + STATE_TABLE + "') IS NOT NULL")) {
            rs.next();
            if (!rs.getBoolean(1)) {
                return -1;
            }
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT version FROM " + STATE_TABLE + " WHERE synced_table = ?")) {
            ps.setString(1, syncedTable);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getLong(1) : -1;
            }
        }
    }

    /**
     * Forgets the sync state (the synced table was deleted); drops the Postgres table too when {@code dropTable} and
     * the table is one the sync created.
     */
    public static void forget(Connection c, SyncSpec spec, boolean dropTable) throws SQLException {
        requireSyncRole(c);
        c.setAutoCommit(true);
        try (Statement s = c.createStatement()) {
            s.execute("DELETE FROM " + STATE_TABLE + " WHERE synced_table = " + Sql.literal(spec.syncedTable()));
        } catch (SQLException e) {
            if (!"42P01".equals(e.getSQLState())) throw e; // no state table: nothing was ever synced here
        }
        if (dropTable && SyncRole.NAME.equals(SyncRole.tableOwner(c, spec.pgSchema(), spec.pgTable()))) {
            try (Statement s = c.createStatement()) {
                s.execute("DROP TABLE IF EXISTS " + Sql.qualified(spec.pgSchema(), spec.pgTable()));
            }
        }
    }

    /** One sync run: a full copy if needed (first run, SNAPSHOT mode, unreadable changes), else the changes since the last. */
    public static SyncOutcome run(SyncSpec spec, DeltaSource source, Connection c, SyncProgress.Listener progress)
            throws SyncException, SQLException {
        requireSyncRole(c);
        Snapshot latest = source.latest();
        List<PgColumn> columns = TypeMapping.columns(latest.getSchema());
        checkKeys(spec, columns);
        boolean autoCommit = c.getAutoCommit();
        c.setAutoCommit(false);
        try {
            SyncOutcome outcome;
            try {
                outcome = once(spec, source, latest, columns, c, progress, false);
            } catch (DeltaSource.NeedsFullRefresh e) {
                c.rollback();
                log.info("incremental sync needs a full copy synced_table={} reason={}", spec.syncedTable(), e.getMessage());
                SyncOutcome full = once(spec, source, latest, columns, c, progress, true);
                outcome = new SyncOutcome(full.kind(), full.version(), full.commitTimeMillis(), full.rows(), full.nullKeyRows(),
                        "Made a full copy instead of applying changes: " + e.getMessage() + ".");
            }
            c.commit();
            return outcome;
        } catch (SyncException | SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        } catch (Exception e) {
            c.rollback();
            throw source.unreadable(e); // a read failure outside Kernel's own exceptions; its message may quote file contents
        } finally {
            c.setAutoCommit(autoCommit);
        }
    }

    private static SyncOutcome once(SyncSpec spec, DeltaSource source, Snapshot latest, List<PgColumn> columns, Connection c,
                                    SyncProgress.Listener progress, boolean forceFull) throws Exception {
        try (Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS " + STATE_TABLE + " (synced_table text PRIMARY KEY, source text NOT NULL,"
                    + " version bigint NOT NULL, commit_time timestamptz, synced_at timestamptz NOT NULL, columns jsonb NOT NULL)");
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_advisory_xact_lock(hashtext(?))")) {
            ps.setString(1, "oxbow-sync:" + spec.syncedTable());
            ps.execute();
        }
        long syncedVersion = -1;
        String syncedColumns = null;
        try (PreparedStatement ps = c.prepareStatement("SELECT version, columns FROM " + STATE_TABLE + " WHERE synced_table = ?")) {
            ps.setString(1, spec.syncedTable());
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    syncedVersion = rs.getLong(1);
                    syncedColumns = rs.getString(2);
                }
            }
        }
        boolean tableExists = exists(c, spec);
        long version = latest.getVersion();
        long commitTime = source.commitTimestamp(latest);
        if (tableExists && syncedVersion >= version) {
            return new SyncOutcome(SyncOutcome.Kind.UP_TO_DATE, syncedVersion, commitTime, 0, 0, null);
        }
        if (tableExists && syncedColumns != null) {
            // a full copy would follow a dropped or retyped column silently; it stops here as an incremental sync does
            checkSchemaChange(columns, syncedColumns, syncedVersion, version);
        }
        SyncOutcome outcome;
        if (forceFull || syncedVersion < 0 || !tableExists || !spec.incremental()) {
            outcome = snapshot(spec, source, latest, columns, c, progress);
        } else {
            outcome = incremental(spec, source, latest, columns, syncedVersion, syncedColumns, c, progress);
        }
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + STATE_TABLE + " (synced_table, source, version, commit_time, synced_at, columns)"
                + " VALUES (?, ?, ?, ?, now(), ?::jsonb) ON CONFLICT (synced_table) DO UPDATE SET source = EXCLUDED.source,"
                + " version = EXCLUDED.version, commit_time = EXCLUDED.commit_time, synced_at = EXCLUDED.synced_at, columns = EXCLUDED.columns")) {
            ps.setString(1, spec.syncedTable());
            ps.setString(2, source.location());
            ps.setLong(3, version);
            ps.setTimestamp(4, new Timestamp(commitTime));
            ps.setString(5, TypeMapping.describe(columns));
            ps.executeUpdate();
        }
        return outcome;
    }

    /** Whether the target exists; one that the sync role does not own (the sync did not create it) is refused. */
    private static boolean exists(Connection c, SyncSpec spec) throws SQLException, SyncException {
        String owner = SyncRole.tableOwner(c, spec.pgSchema(), spec.pgTable());
        if (owner != null && !owner.equals(SyncRole.NAME)) {
            throw SyncRole.notCreatedBySync(spec, owner);
        }
        return owner != null;
    }

    /**
     * Refuses any session but the sync role's own: as superuser (even after SET ROLE, which tenant code could
     * undo with RESET ROLE) a tenant's trigger would run with the superuser's rights.
     */
    static void requireSyncRole(Connection c) throws SQLException {
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT session_user::text, current_user::text,"
                     + " (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = session_user)")) {
            rs.next();
            if (!SyncRole.NAME.equals(rs.getString(1)) || !SyncRole.NAME.equals(rs.getString(2)) || rs.getBoolean(3)) {
                throw new IllegalStateException("synced tables are written only in a session of " + SyncRole.NAME + ", not as "
                        + rs.getString(1) + "/" + rs.getString(2));
            }
        }
    }

    private static String columnDefs(List<PgColumn> columns) {
        return columns.stream().map(col -> col.quotedName() + " " + col.pgType()).collect(Collectors.joining(", "));
    }

    // ---- full copy ----

    private static SyncOutcome snapshot(SyncSpec spec, DeltaSource source, Snapshot latest, List<PgColumn> columns, Connection c,
                                        SyncProgress.Listener progress) throws Exception {
        String target = Sql.qualified(spec.pgSchema(), spec.pgTable());
        String shadowName = shortName("_oxbow_new_" + spec.pgTable());
        String shadow = Sql.qualified(spec.pgSchema(), shadowName);
        try (Statement s = c.createStatement()) {
            s.execute("DROP TABLE IF EXISTS " + shadow);
            s.execute("CREATE TABLE " + shadow + " (" + columnDefs(columns) + ")");
        }
        long started = System.nanoTime();
        int totalFiles = Math.max(1, source.fileCount(latest));
        long[] rows = {0, 0};
        int[] files = {0};
        CopyBuffer out = new CopyBuffer(((PGConnection) c).getCopyAPI().copyIn(
                "COPY " + shadow + " (" + columns.stream().map(PgColumn::quotedName).collect(Collectors.joining(", ")) + ") FROM STDIN (FORMAT binary, FREEZE)"));
        RowWriter writer = new RowWriter(columns, spec.primaryKey(), false);
        try {
            source.scan(latest, (batch, selected, changeType, op) -> {
                long[] r = writer.write(batch, selected, null, 'i', -1, out);
                rows[0] += r[0];
                rows[1] += r[1];
            }, () -> {
                files[0]++;
                progress.progress(new SyncProgress(rows[0], 0, Math.min(0.99, (double) files[0] / totalFiles), latest.getVersion()));
            });
            out.finish();
        } catch (Exception e) {
            out.cancel();
            throw e;
        }
        long copied = System.nanoTime();
        String keys = Sql.idents(spec.primaryKey());
        try (Statement s = c.createStatement()) {
            if (spec.timeseriesKey() != null) {
                String deduped = Sql.qualified(spec.pgSchema(), shortName("_oxbow_dedup_" + spec.pgTable()));
                s.execute("CREATE TABLE " + deduped + " AS SELECT DISTINCT ON (" + keys + ") * FROM " + shadow
                        + " ORDER BY " + keys + ", " + Sql.ident(spec.timeseriesKey()) + " DESC NULLS LAST");
                s.execute("DROP TABLE " + shadow);
                s.execute("ALTER TABLE " + deduped + " RENAME TO " + Sql.ident(shadowName));
            }
            // the key's index is built once over all rows: a sort, which memory makes faster
            s.execute("SET LOCAL maintenance_work_mem = '256MB'");
            s.execute("SAVEPOINT add_key");
            try {
                s.execute("ALTER TABLE " + shadow + " ADD CONSTRAINT " + Sql.ident(shortName(shadowName + "_pkey")) + " PRIMARY KEY (" + keys + ")");
                s.execute("RELEASE SAVEPOINT add_key");
            } catch (PSQLException e) {
                if (!"23505".equals(e.getSQLState())) throw e;
                s.execute("ROLLBACK TO SAVEPOINT add_key");
                throw new SyncException("The source has rows with the same primary key (" + String.join(", ", spec.primaryKey()) + " = "
                        + duplicateExample(c, shadow, spec.primaryKey()) + "). Set timeseries_key to keep the newest row of each key,"
                        + " or remove the duplicates from the source.");
            }
            if (exists(c, spec)) {
                copyPrivileges(c, target, shadow);
                s.execute("DROP TABLE " + target);
            }
            s.execute("ALTER TABLE " + shadow + " RENAME TO " + Sql.ident(spec.pgTable()));
            s.execute("ALTER INDEX " + Sql.qualified(spec.pgSchema(), shortName(shadowName + "_pkey")) + " RENAME TO "
                    + Sql.ident(shortName(spec.pgTable() + "_pkey")));
        }
        progress.progress(new SyncProgress(rows[0], rows[0], 1.0, latest.getVersion()));
        log.info("full copy synced_table={} version={} rows={} null_key_rows={} copy_ms={} (sending {}) key_and_swap_ms={}", spec.syncedTable(), latest.getVersion(),
                rows[0], rows[1], (copied - started) / 1_000_000, out.sendNanos / 1_000_000, (System.nanoTime() - copied) / 1_000_000);
        return new SyncOutcome(SyncOutcome.Kind.SNAPSHOT, latest.getVersion(), source.commitTimestamp(latest), rows[0], rows[1], null);
    }

    /** Grants on the table being replaced carry over to its new copy (both are the sync role's). */
    private static void copyPrivileges(Connection c, String from, String to) throws SQLException {
        List<String> statements = new ArrayList<>();
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(a.grantee)) END,"
                     + " a.privilege_type FROM pg_catalog.pg_class, pg_catalog.aclexplode(relacl) a"
                     + " WHERE pg_class.oid = '" + from.replace("'", "''") + "'::pg_catalog.regclass AND a.grantee <> relowner")) {
            while (rs.next()) statements.add("GRANT " + rs.getString(2) + " ON " + to + " TO " + rs.getString(1));
        }
        try (Statement s = c.createStatement()) {
            for (String sql : statements) s.execute(sql);
        }
    }

    private static String duplicateExample(Connection c, String table, List<String> keys) throws SQLException {
        String k = Sql.idents(keys);
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT " + keys.stream().map(n -> Sql.ident(n) + "::text").collect(Collectors.joining(" || ', ' || "))
                     + " FROM " + table + " GROUP BY " + k + " HAVING count(*) > 1 LIMIT 1")) {
            return rs.next() ? rs.getString(1) : "?";
        }
    }

    private static String shortName(String name) {
        return name.length() <= 63 ? name : name.substring(0, 63);
    }

    // ---- changes ----

    private static SyncOutcome incremental(SyncSpec spec, DeltaSource source, Snapshot latest, List<PgColumn> columns, long syncedVersion,
                                           String syncedColumns, Connection c, SyncProgress.Listener progress) throws Exception {
        String target = Sql.qualified(spec.pgSchema(), spec.pgTable());
        applySchemaChange(spec, columns, syncedColumns, c, target);
        try (Statement s = c.createStatement()) {
            s.execute("CREATE TEMP TABLE " + CHANGES + " (" + columnDefs(columns) + ", _seq bigint, _phase bigint, _op \"char\") ON COMMIT DROP");
        }
        String colList = columns.stream().map(PgColumn::quotedName).collect(Collectors.joining(", "));
        CopyBuffer out = new CopyBuffer(((PGConnection) c).getCopyAPI().copyIn(
                "COPY " + CHANGES + " (" + colList + ", _seq, _phase, _op) FROM STDIN (FORMAT binary)"));
        RowWriter writer = new RowWriter(columns, spec.primaryKey(), true);
        long[] rows = {0, 0};
        long from = syncedVersion + 1;
        long to = latest.getVersion();
        try {
            source.changes(from, to, latest, spec.primaryKey(), (batch, selected, changeType, op, version) -> {
                long[] r = writer.write(batch, selected, changeType, op, version, out);
                rows[0] += r[0];
                rows[1] += r[1];
            }, v -> progress.progress(new SyncProgress(rows[0], 0, Math.min(0.99, (double) (v - from + 1) / (to - from + 1)), v)));
            out.finish();
        } catch (Exception e) {
            out.cancel();
            throw e;
        }
        String keys = Sql.idents(spec.primaryKey());
        long applied;
        try (Statement s = c.createStatement()) {
            s.execute("CREATE INDEX ON " + CHANGES + " (" + keys + ", _phase, _seq)");
            s.execute("ANALYZE " + CHANGES);
            if (spec.timeseriesKey() == null) {
                String dup = incrementalDuplicate(s, spec, target);
                if (dup != null) {
                    throw new SyncException("Version range " + from + ".." + to + " inserts a primary key that already exists ("
                            + String.join(", ", spec.primaryKey()) + " = " + dup + "). Set timeseries_key to keep the newest row of each key,"
                            + " or remove the duplicates from the source.");
                }
            }
            applied = s.executeUpdate("DELETE FROM " + target + " t USING (SELECT DISTINCT ON (" + keys + ") " + keys + ", _op FROM " + CHANGES
                    + " ORDER BY " + keys + ", _phase DESC, _seq DESC) l WHERE l._op = 'd' AND " + Sql.joinOn("t", "l", spec.primaryKey()));
            String order = keys + (spec.timeseriesKey() == null ? "" : ", " + Sql.ident(spec.timeseriesKey()) + " DESC NULLS LAST") + ", _phase DESC, _seq DESC";
            List<String> nonKey = columns.stream().map(PgColumn::name).filter(n -> !spec.primaryKey().contains(n)).toList();
            String conflict = nonKey.isEmpty() ? "DO NOTHING" : "DO UPDATE SET "
                    + nonKey.stream().map(n -> Sql.ident(n) + " = EXCLUDED." + Sql.ident(n)).collect(Collectors.joining(", "))
                    + (spec.timeseriesKey() == null ? "" : " WHERE t." + Sql.ident(spec.timeseriesKey()) + " IS NULL OR t."
                    + Sql.ident(spec.timeseriesKey()) + " <= EXCLUDED." + Sql.ident(spec.timeseriesKey()));
            applied += s.executeUpdate("INSERT INTO " + target + " AS t (" + colList + ") SELECT DISTINCT ON (" + keys + ") " + colList
                    + " FROM " + CHANGES + " s WHERE s._op <> 'd' AND NOT EXISTS (SELECT 1 FROM " + CHANGES + " d WHERE d._op = 'd' AND "
                    + Sql.joinOn("d", "s", spec.primaryKey()) + " AND (d._phase, d._seq) > (s._phase, s._seq)) ORDER BY " + order
                    + " ON CONFLICT (" + keys + ") " + conflict);
        }
        progress.progress(new SyncProgress(rows[0], rows[0], 1.0, to));
        log.info("changes applied synced_table={} versions={}..{} changes={} applied={} null_key_rows={}", spec.syncedTable(), from, to, rows[0], applied, rows[1]);
        return new SyncOutcome(SyncOutcome.Kind.INCREMENTAL, to, source.commitTimestamp(latest), applied, rows[1], null);
    }

    /** An insert of a key that already has a live row (in Postgres or earlier in the batch) with no delete in between. */
    private static String incrementalDuplicate(Statement s, SyncSpec spec, String target) throws SQLException {
        List<String> k = spec.primaryKey();
        String sql = "SELECT " + k.stream().map(n -> "s." + Sql.ident(n) + "::text").collect(Collectors.joining(" || ', ' || "))
                + " FROM " + CHANGES + " s WHERE s._op = 'i' AND ("
                + " EXISTS (SELECT 1 FROM " + CHANGES + " p WHERE " + Sql.joinOn("p", "s", k) + " AND (p._phase, p._seq) < (s._phase, s._seq) AND p._op <> 'd'"
                + "   AND NOT EXISTS (SELECT 1 FROM " + CHANGES + " d WHERE " + Sql.joinOn("d", "s", k) + " AND d._op = 'd' AND (d._phase, d._seq) > (p._phase, p._seq) AND (d._phase, d._seq) < (s._phase, s._seq)))"
                + " OR (NOT EXISTS (SELECT 1 FROM " + CHANGES + " d WHERE " + Sql.joinOn("d", "s", k) + " AND d._op = 'd' AND (d._phase, d._seq) < (s._phase, s._seq))"
                + "   AND EXISTS (SELECT 1 FROM " + target + " t WHERE " + Sql.joinOn("t", "s", k) + "))) LIMIT 1";
        try (ResultSet rs = s.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    /** A source column dropped, renamed or retyped since the last sync stops the sync with the reason. */
    private static void checkSchemaChange(List<PgColumn> columns, String syncedColumns, long syncedVersion, long version) throws SyncException {
        Map<String, String> now = new HashMap<>();
        columns.forEach(col -> now.put(col.name(), col.pgType()));
        List<String> problems = new ArrayList<>();
        for (TypeMapping.Described d : TypeMapping.parse(syncedColumns)) {
            String type = now.get(d.name());
            if (type == null) {
                problems.add("column " + d.name() + " was dropped or renamed");
            } else if (!TypeMapping.sameColumnType(d.pgType(), type)) {
                problems.add("column " + d.name() + " changed type from " + d.pgType() + " to " + type);
            }
        }
        if (!problems.isEmpty()) {
            throw new SyncException("The source schema changed between Delta versions " + syncedVersion + " and " + version
                    + " in a way a synced table cannot follow: " + String.join("; ", problems) + ". Postgres still holds version "
                    + syncedVersion + ". Only new columns are applied; delete and re-create the synced table to take this change.");
        }
    }

    /** New source columns are added to the Postgres table (other changes were refused by {@link #checkSchemaChange}). */
    private static void applySchemaChange(SyncSpec spec, List<PgColumn> columns, String syncedColumns, Connection c, String target)
            throws SQLException {
        java.util.Set<String> before = new java.util.HashSet<>();
        for (TypeMapping.Described d : TypeMapping.parse(syncedColumns)) before.add(d.name());
        try (Statement s = c.createStatement()) {
            for (PgColumn col : columns) {
                if (!before.contains(col.name())) {
                    s.execute("ALTER TABLE " + target + " ADD COLUMN IF NOT EXISTS " + col.quotedName() + " " + col.pgType());
                    log.info("column added synced_table={} column={} type={}", spec.syncedTable(), col.name(), col.pgType());
                }
            }
        }
    }

    /** Encodes batch rows as COPY tuples, skipping rows that are masked out or have a null key. */
    private static final class RowWriter {
        private final List<PgColumn> columns;
        private final List<String> keys;
        private final boolean withOp;
        private long seq;

        RowWriter(List<PgColumn> columns, List<String> keys, boolean withOp) {
            this.columns = columns;
            this.keys = keys;
            this.withOp = withOp;
        }

        /**
         * Returns {rows written, rows skipped for a null key}. Changes are ordered by {@code _phase} (the commit
         * {@code version}, then its deletes before its inserts: a commit is the difference of two table states, so a
         * key it deletes and inserts, as a pre- and a post-image in two change files, ends inserted) and {@code _seq}.
         */
        long[] write(ColumnarBatch batch, ColumnVector selected, ColumnVector changeType, char op, long version, CopyBuffer out) throws Exception {
            StructType schema = batch.getSchema();
            int n = columns.size();
            ColumnVector[] vectors = new ColumnVector[n];
            for (int i = 0; i < n; i++) {
                int idx = schema.indexOf(columns.get(i).name());
                vectors[i] = idx < 0 ? null : batch.getColumnVector(idx);
            }
            ColumnVector[] keyVectors = new ColumnVector[keys.size()];
            for (int i = 0; i < keyVectors.length; i++) {
                keyVectors[i] = batch.getColumnVector(schema.indexOf(keys.get(i)));
            }
            long written = 0;
            long nullKeys = 0;
            int size = batch.getSize();
            rows:
            for (int r = 0; r < size; r++) {
                if (selected != null && (selected.isNullAt(r) || !selected.getBoolean(r))) {
                    continue;
                }
                char rowOp = op;
                if (changeType != null) {
                    switch (changeType.getString(r)) {
                        case "insert" -> rowOp = 'i';
                        case "update_postimage" -> rowOp = 'u';
                        // the pre-image's key goes unless a post-image of the same commit brings it back (a key-changing update)
                        case "delete", "update_preimage" -> rowOp = 'd';
                        default -> {
                            continue rows; // a change type of a newer protocol: nothing to apply
                        }
                    }
                }
                for (ColumnVector k : keyVectors) {
                    if (k.isNullAt(r)) {
                        nullKeys++;
                        continue rows;
                    }
                }
                out.startRow(withOp ? n + 3 : n);
                for (int i = 0; i < n; i++) {
                    ColumnVector v = vectors[i];
                    if (v == null || v.isNullAt(r) || (rowOp == 'd' && !keys.contains(columns.get(i).name()))) {
                        out.nullField();
                    } else {
                        columns.get(i).encoder().write(v, r, out);
                    }
                }
                if (withOp) {
                    out.int8(seq++);
                    out.int8(version * 2 + (rowOp == 'd' ? 0 : 1));
                    out.oneByte((byte) rowOp);
                }
                written++;
            }
            return new long[] {written, nullKeys};
        }
    }
}
