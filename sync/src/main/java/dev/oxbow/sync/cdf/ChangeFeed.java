package dev.oxbow.sync.cdf;

import dev.oxbow.compute.Lsn;

import io.delta.kernel.types.DataType;
import io.delta.kernel.types.StructField;
import io.delta.kernel.types.StructType;
import org.postgresql.PGConnection;
import org.postgresql.replication.LogSequenceNumber;
import org.postgresql.replication.PGReplicationStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * A change feed of one Postgres schema into Delta tables ({@code destination/<table>}): a publication and a logical
 * replication slot with {@code pgoutput}, read through pgjdbc's replication API as the unprivileged
 * {@link CdfRole}. {@link #pass} reads what the slot holds now, applies it to the Delta tables in batches (one
 * Delta commit per table per batch, recording the batch's last commit LSN), and only then confirms the slot up to
 * that LSN: after a crash the slot sends the unconfirmed changes again and each table skips what it already holds.
 *
 * <p>Tables need a primary key (updates and deletes are applied by key); tables without one, or with row-level
 * security (the feed role would see only part of them), are skipped with a status saying why and are not added to
 * the publication (a published table without a replica identity refuses UPDATE and DELETE).
 */
public final class ChangeFeed {
    private static final Logger log = LoggerFactory.getLogger(ChangeFeed.class);

    /**
     * {@code id}: letters, digits and _ (names the slot and publication {@code oxbow_cdf_<id>}). A batch is committed
     * to Delta when the stream has nothing more to send, at {@code batchRows} changes, or {@code batchInterval} after
     * its first change (always at a transaction boundary). A pass that may keep streaming ends after {@code streamFor}
     * so that set-up (new tables, the WAL-retention check) runs again.
     */
    public record Config(String id, String pgSchema, Path destination, int checkpointInterval, long maxRetainedBytes,
                         int batchRows, Duration idleEnd, Duration passBudget, Duration batchInterval, Duration streamFor) {
        public Config(String id, String pgSchema, Path destination, int checkpointInterval, long maxRetainedBytes,
                      int batchRows, Duration idleEnd, Duration passBudget) {
            this(id, pgSchema, destination, checkpointInterval, maxRetainedBytes, batchRows, idleEnd, passBudget, Duration.ofSeconds(1), passBudget);
        }

        public String slot() {
            return "oxbow_cdf_" + id;
        }
    }

    /** The connections a pass uses; each is opened when needed and closed by the feed. */
    public interface Connections {
        /** A superuser session (search path pinned): catalog queries and utility commands only. */
        Connection admin() throws SQLException;

        /** A session of {@link CdfRole}, with {@link CdfTypes#SESSION_OPTIONS}. */
        Connection feedRole() throws SQLException;

        /** A logical replication connection of {@link CdfRole}, with {@link CdfTypes#SESSION_OPTIONS}. */
        Connection replication() throws SQLException;
    }

    /** What one pass did; {@code lagBytes}: WAL written after the slot's confirmed position when the pass ended. */
    public record PassResult(long appliedChanges, long confirmedLsn, long retainedBytes, long lagBytes, boolean slotDropped) {}

    private record PgTable(String name, StructType schema, List<String> keys) {}

    private final Config config;
    private final Map<String, FeedTableStatus> statuses = new LinkedHashMap<>();
    private final Map<String, DeltaChangeTable> tables = new HashMap<>();
    private final Consumer<FeedTableStatus> onStatus;
    /** Changes applied to Delta by this feed object, over all passes (a counter for /metrics). */
    private final java.util.concurrent.atomic.AtomicLong appliedTotal = new java.util.concurrent.atomic.AtomicLong();
    /** WAL the server had written past the slot's confirmed position, as last seen (updated while streaming). */
    private volatile long lagBytes;
    /** WAL the slot keeps, as of the last set-up or pass end (null before the first look). */
    private volatile Long retainedBytes;

    public ChangeFeed(Config config, Map<String, FeedTableStatus> known, Consumer<FeedTableStatus> onStatus) {
        this.config = config;
        this.statuses.putAll(known);
        this.onStatus = onStatus;
    }

    public Map<String, FeedTableStatus> statuses() {
        return Map.copyOf(statuses);
    }

    /** Changes this feed applied to Delta since it was made. */
    public long appliedTotal() {
        return appliedTotal.get();
    }

    /** Bytes of WAL the slot keeps, as of this feed's last set-up or pass end; null before. */
    public Long retainedBytes() {
        return retainedBytes;
    }

    /** Bytes of WAL written past what the feed has confirmed, as last seen: the feed's lag. */
    public long lagBytes() {
        return lagBytes;
    }

    /** Checks what a create must refuse: the schema exists; returns its tables. */
    public static List<String> tablesOf(Connection admin, String schema) throws SQLException {
        if (!exists(admin, "SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = ?", schema)) {
            throw new SQLException("schema " + schema + " does not exist", "3F000");
        }
        List<String> out = new ArrayList<>();
        try (PreparedStatement ps = admin.prepareStatement("SELECT c.relname::text FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n"
                + " ON n.oid = c.relnamespace WHERE n.nspname = ? AND c.relkind IN ('r','p') AND NOT c.relispartition ORDER BY 1")) {
            ps.setString(1, schema);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) out.add(rs.getString(1));
            }
        }
        return out;
    }

    /**
     * One pass: set-up (role, publication, slot, tables new in the schema snapshotted), the WAL-retention check, then
     * the stream until it has been idle for {@code idleEnd} or {@code passBudget} is spent.
     */
    public PassResult pass(Connections connections) throws Exception {
        return pass(connections, () -> false);
    }

    /**
     * A pass that, once caught up, keeps the stream open while {@code keepStreaming} says so (asked when the stream
     * is idle, at most every {@link #KEEP_STREAMING_CHECK}), for at most {@code streamFor}: a commit is then in Delta
     * about as soon as the stream delivers it. When it says no, the pass ends as a plain one does (caught up, slot
     * confirmed, stream closed).
     */
    public PassResult pass(Connections connections, BooleanSupplier keepStreaming) throws Exception {
        long startLsn;
        List<PgTable> added;
        try (Connection admin = connections.admin()) {
            CdfRole.ensureRole(admin);
            exec(admin, "GRANT CONNECT ON DATABASE " + ident(string(admin, "SELECT pg_catalog.current_database()::text")) + " TO " + ident(CdfRole.NAME));
            exec(admin, "GRANT USAGE ON SCHEMA " + ident(config.pgSchema()) + " TO " + ident(CdfRole.NAME));
            if (!exists(admin, "SELECT 1 FROM pg_catalog.pg_publication WHERE pubname = ?", config.slot())) {
                exec(admin, "CREATE PUBLICATION " + ident(config.slot()) + " WITH (publish = 'insert, update, delete, truncate')");
            }
            Long retained = retainedBytes(admin);
            retainedBytes = retained;
            if (retained != null && retained > config.maxRetainedBytes()) {
                drop(admin, config.slot());
                String detail = "The replication slot held " + retained + " bytes of WAL, more than the limit of " + config.maxRetainedBytes()
                        + "; Oxbow dropped it so the compute's disk cannot fill. Delete this CDF config and create it again to restart the feed.";
                for (String t : List.copyOf(statuses.keySet())) report(statuses.get(t).withState(FeedTableStatus.TERMINATED, detail));
                return new PassResult(0, 0, retained, 0, true);
            }
            boolean slotExists = retained != null;
            long lsnBefore = Lsn.parse(string(admin, "SELECT pg_catalog.pg_current_wal_lsn()::text"));
            added = addNewTables(admin);
            if (!slotExists) {
                try (Connection repl = connections.replication()) {
                    var info = repl.unwrap(PGConnection.class).getReplicationAPI().createReplicationSlot().logical()
                            .withSlotName(config.slot()).withOutputPlugin("pgoutput").make();
                    lsnBefore = info.getConsistentPoint().asLong();
                }
                // every table needs its snapshot as of the new slot's start
                added = publishedTables(admin);
                retainedBytes = retainedBytes(admin);
            }
            startLsn = lsnBefore;
        }
        for (PgTable t : added) snapshot(connections, t, startLsn);
        return stream(connections, keepStreaming);
    }

    private List<PgTable> addNewTables(Connection admin) throws Exception {
        List<PgTable> added = new ArrayList<>();
        for (String name : tablesOf(admin, config.pgSchema())) {
            if (statuses.containsKey(name) && !statuses.get(name).state().equals(FeedTableStatus.SNAPSHOTTING)) continue;
            String skip = skipReason(admin, name);
            if (skip != null) {
                report(new FeedTableStatus(name, FeedTableStatus.SKIPPED, 0, null, skip));
                continue;
            }
            if (!inPublication(admin, name)) {
                exec(admin, "ALTER PUBLICATION " + ident(config.slot()) + " ADD TABLE " + qualified(name));
            }
            exec(admin, "GRANT SELECT ON TABLE " + qualified(name) + " TO " + ident(CdfRole.NAME));
            added.add(describe(admin, name));
        }
        return added;
    }

    private List<PgTable> publishedTables(Connection admin) throws Exception {
        List<PgTable> out = new ArrayList<>();
        for (String name : tablesOf(admin, config.pgSchema())) {
            if (inPublication(admin, name)) out.add(describe(admin, name));
        }
        return out;
    }

    private String skipReason(Connection admin, String table) throws SQLException {
        try (PreparedStatement ps = admin.prepareStatement("SELECT c.relrowsecurity, EXISTS (SELECT 1 FROM pg_catalog.pg_index i WHERE i.indrelid = c.oid"
                + " AND i.indisprimary) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ? AND c.relname = ?")) {
            ps.setString(1, config.pgSchema());
            ps.setString(2, table);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) return "The table no longer exists.";
                if (rs.getBoolean(1)) return "The table has row-level security; the feed would see only the rows its role may read, so it is not fed.";
                if (!rs.getBoolean(2)) return "The table has no primary key; changes are applied to Delta by key. Add a primary key and the feed picks the table up.";
                return null;
            }
        }
    }

    private PgTable describe(Connection admin, String table) throws SQLException {
        List<StructField> fields = new ArrayList<>();
        List<String> keys = new ArrayList<>();
        try (PreparedStatement ps = admin.prepareStatement("SELECT a.attname::text, a.atttypid::int, a.atttypmod,"
                + " COALESCE((SELECT a.attnum = ANY (i.indkey) FROM pg_catalog.pg_index i WHERE i.indrelid = c.oid AND i.indisprimary), false)"
                + " FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE n.nspname = ? AND c.relname = ? AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum")) {
            ps.setString(1, config.pgSchema());
            ps.setString(2, table);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    fields.add(new StructField(rs.getString(1), CdfTypes.deltaType(rs.getInt(2), rs.getInt(3)), true));
                    if (rs.getBoolean(4)) keys.add(rs.getString(1));
                }
            }
        }
        return new PgTable(table, new StructType(fields), keys);
    }

    /** The table's rows as of now into its Delta table (replacing what it held), marked as of {@code lsn}. */
    private void snapshot(Connections connections, PgTable t, long lsn) throws Exception {
        report(new FeedTableStatus(t.name(), FeedTableStatus.SNAPSHOTTING, 0, null, null));
        DeltaChangeTable delta = DeltaChangeTable.open(config.destination().resolve(t.name()), t.schema(), t.keys(), config.checkpointInterval());
        List<Object[]> rows = new ArrayList<>();
        StringBuilder select = new StringBuilder("SELECT ");
        for (int i = 0; i < t.schema().length(); i++) select.append(i == 0 ? "" : ", ").append(ident(t.schema().at(i).getName())).append("::text");
        select.append(" FROM ").append(qualified(t.name()));
        try (Connection c = connections.feedRole()) {
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                s.setFetchSize(10_000);
                try (ResultSet rs = s.executeQuery(select.toString())) {
                    while (rs.next()) {
                        Object[] row = new Object[t.schema().length()];
                        for (int i = 0; i < row.length; i++) row[i] = CdfTypes.value(t.schema().at(i).getDataType(), rs.getString(i + 1));
                        rows.add(row);
                    }
                }
            }
            c.commit();
        }
        delta.replaceAll(rows, lsn);
        tables.put(t.name(), delta);
        report(new FeedTableStatus(t.name(), FeedTableStatus.STREAMING, lsn, Instant.now(), null));
    }

    private DeltaChangeTable table(String name, StructType schema, List<String> keys) throws Exception {
        DeltaChangeTable t = tables.get(name);
        if (t == null) {
            t = DeltaChangeTable.open(config.destination().resolve(name), schema, keys, config.checkpointInterval());
            tables.put(name, t);
        }
        return t;
    }

    /** A relation as the stream describes it, mapped onto its Delta table's columns. */
    private record Mapped(String table, int[] deltaIndex, DataType[] types, int[] keyPositions) {}

    static final Duration KEEP_STREAMING_CHECK = Duration.ofMillis(100);

    private PassResult stream(Connections connections, BooleanSupplier keepStreaming) throws Exception {
        Map<Integer, Mapped> relations = new HashMap<>();
        Map<String, List<DeltaChangeTable.Change>> pending = new LinkedHashMap<>();
        Map<String, List<DeltaChangeTable.Change>> inTxn = new LinkedHashMap<>();
        long applied = 0;
        long lastEnd = 0;
        long confirmed = 0;
        int pendingRows = 0;
        long target;
        try (Connection admin = connections.admin()) {
            target = Lsn.parse(string(admin, "SELECT pg_catalog.pg_current_wal_lsn()::text"));
        }
        try (Connection repl = connections.replication()) {
            long start;
            try (Statement s = repl.createStatement(); ResultSet rs = s.executeQuery("SELECT confirmed_flush_lsn::text FROM pg_catalog.pg_replication_slots"
                    + " WHERE slot_name = '" + config.slot() + "'")) {
                start = rs.next() && rs.getString(1) != null ? Lsn.parse(rs.getString(1)) : 0;
            }
            PGReplicationStream stream = repl.unwrap(PGConnection.class).getReplicationAPI().replicationStream().logical()
                    .withSlotName(config.slot()).withStartPosition(LogSequenceNumber.valueOf(start))
                    .withSlotOption("proto_version", "1").withSlotOption("publication_names", config.slot())
                    .withStatusInterval(10, java.util.concurrent.TimeUnit.SECONDS).start();
            confirmed = start;
            long serverLsn = target;
            Instant started = Instant.now();
            Instant deadline = started.plus(config.passBudget());
            Instant streamEnd = started.plus(config.streamFor());
            // before the first message the walsender may still be decoding up to the start: a longer grace
            Instant lastMessage = started.plus(config.idleEnd().multipliedBy(3));
            Instant batchStart = null;
            Instant nextCheck = started;
            boolean streaming = false;
            boolean open = false;
            long txnFinalLsn = 0;
            long staged = 0; // changes of the open transaction already written as uncommitted parts
            boolean spilled = false;
            while (true) {
                ByteBuffer buffer = stream.readPending();
                if (buffer == null) {
                    if (!open && pendingRows > 0) {
                        applied += flush(pending, lastEnd);
                        pendingRows = 0;
                        batchStart = null;
                        confirm(stream, lastEnd);
                        confirmed = lastEnd;
                    }
                    Instant now = Instant.now();
                    // caught up once a commit at or past the WAL end seen at the start was applied (a keepalive's LSN is the
                    // server's WAL end, not what was decoded, so it does not count); else an idle stream ends the pass
                    boolean caughtUp = lastEnd >= target && Duration.between(lastMessage, now).toMillis() >= 20;
                    boolean done = caughtUp || Duration.between(lastMessage, now).compareTo(config.idleEnd()) > 0 || now.isAfter(deadline);
                    if (!open && done) {
                        if (!now.isBefore(nextCheck)) {
                            streaming = now.isBefore(streamEnd) && keepStreaming.getAsBoolean();
                            nextCheck = now.plus(KEEP_STREAMING_CHECK);
                        }
                        // idle and caught up with nothing pending: what the walsender has read (its keepalive's LSN,
                        // never past what it decoded) can be confirmed, so other tables' and databases' WAL is not kept
                        long received = stream.getLastReceiveLSN().asLong();
                        if (received > confirmed && lastEnd <= received) {
                            confirm(stream, received);
                            confirmed = received;
                        }
                        if (!streaming) break;
                    }
                    serverLsn = Math.max(serverLsn, stream.getLastReceiveLSN().asLong());
                    lagBytes = Math.max(0, serverLsn - confirmed);
                    Thread.sleep(streaming ? 1 : 5);
                    continue;
                }
                lastMessage = Instant.now();
                PgOutput.Message m = PgOutput.decode(buffer);
                switch (m) {
                    case PgOutput.Begin b -> {
                        open = true;
                        inTxn.clear();
                        txnFinalLsn = b.finalLsn();
                        staged = 0;
                        spilled = false;
                    }
                    case PgOutput.Relation r -> relations.put(r.oid(), map(r));
                    case PgOutput.Insert i -> add(inTxn, relations.get(i.relationOid()), DeltaChangeTable.Kind.INSERT, null, i.row());
                    case PgOutput.Update u -> add(inTxn, relations.get(u.relationOid()), DeltaChangeTable.Kind.UPDATE, u.old(), u.row());
                    case PgOutput.Delete d -> add(inTxn, relations.get(d.relationOid()), DeltaChangeTable.Kind.DELETE, d.old(), null);
                    case PgOutput.Truncate t -> {
                        for (int oid : t.relationOids()) {
                            Mapped r = relations.get(oid);
                            if (r != null && live(r.table())) inTxn.computeIfAbsent(r.table(), k -> new ArrayList<>())
                                    .add(new DeltaChangeTable.Change(DeltaChangeTable.Kind.TRUNCATE, null, null));
                        }
                    }
                    case PgOutput.Commit c -> {
                        if (spilled) {
                            // a transaction too large for memory: its last part, then one Delta commit per table it touched
                            staged += stageParts(inTxn, txnFinalLsn);
                            open = false;
                            lastEnd = c.endLsn();
                            for (Map.Entry<String, DeltaChangeTable> e : tables.entrySet()) {
                                if (!e.getValue().hasStaged()) continue;
                                e.getValue().commitStaged(lastEnd);
                                report(new FeedTableStatus(e.getKey(), FeedTableStatus.STREAMING, lastEnd, Instant.now(), null));
                            }
                            applied += staged;
                            appliedTotal.addAndGet(staged);
                            staged = 0;
                            spilled = false;
                            confirm(stream, lastEnd);
                            confirmed = lastEnd;
                            continue;
                        }
                        open = false;
                        for (Map.Entry<String, List<DeltaChangeTable.Change>> e : inTxn.entrySet()) {
                            DeltaChangeTable t = tables.get(e.getKey());
                            if (t != null && c.endLsn() <= t.committedLsn()) continue; // applied before a crash: skipped, exactly once
                            pending.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).addAll(e.getValue());
                            pendingRows += e.getValue().size();
                        }
                        inTxn.clear();
                        lastEnd = c.endLsn();
                        if (pendingRows > 0 && batchStart == null) batchStart = Instant.now();
                        if (pendingRows >= config.batchRows() || (batchStart != null
                                && Duration.between(batchStart, Instant.now()).compareTo(config.batchInterval()) >= 0)) {
                            applied += flush(pending, lastEnd);
                            pendingRows = 0;
                            batchStart = null;
                            confirm(stream, lastEnd);
                            confirmed = lastEnd;
                        }
                    }
                    case PgOutput.Other o -> { }
                }
                if (open && inTxnRows(inTxn) >= config.batchRows()) {
                    // past the bound an open transaction is written to Delta files part by part, committed at its end;
                    // what earlier transactions left pending is committed first (they are complete)
                    if (pendingRows > 0) {
                        applied += flush(pending, lastEnd);
                        pendingRows = 0;
                        batchStart = null;
                        confirm(stream, lastEnd);
                        confirmed = lastEnd;
                    }
                    staged += stageParts(inTxn, txnFinalLsn);
                    spilled = true;
                }
            }
            if (lastEnd > confirmed && pendingRows == 0) {
                confirm(stream, lastEnd); // transactions of other tables only
                confirmed = lastEnd;
            }
            stream.close();
        }
        long retained = 0;
        try (Connection admin = connections.admin(); PreparedStatement ps = admin.prepareStatement("SELECT (pg_catalog.pg_current_wal_lsn() - restart_lsn)::bigint,"
                + " (pg_catalog.pg_current_wal_lsn() - confirmed_flush_lsn)::bigint FROM pg_catalog.pg_replication_slots WHERE slot_name = ?")) {
            ps.setString(1, config.slot());
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    retained = rs.getLong(1);
                    retainedBytes = retained;
                    lagBytes = Math.max(0, rs.getLong(2));
                }
            }
        }
        return new PassResult(applied, confirmed, retained, lagBytes, false);
    }

    private static int inTxnRows(Map<String, List<DeltaChangeTable.Change>> inTxn) {
        int n = 0;
        for (List<DeltaChangeTable.Change> l : inTxn.values()) n += l.size();
        return n;
    }

    /**
     * Writes the open transaction's changes so far as uncommitted parts of their tables and clears them; a table that
     * already holds the transaction (its commit record at {@code finalLsn} lies before the table's last applied commit
     * end, i.e. applied before a crash) is skipped. Returns the changes written.
     */
    private long stageParts(Map<String, List<DeltaChangeTable.Change>> inTxn, long finalLsn) throws Exception {
        long n = 0;
        for (Map.Entry<String, List<DeltaChangeTable.Change>> e : inTxn.entrySet()) {
            DeltaChangeTable t = tables.get(e.getKey());
            if (t == null || finalLsn < t.committedLsn()) continue;
            t.stagePart(e.getValue());
            n += e.getValue().size();
        }
        inTxn.clear();
        return n;
    }

    private static void confirm(PGReplicationStream stream, long lsn) throws SQLException {
        LogSequenceNumber l = LogSequenceNumber.valueOf(lsn);
        stream.setAppliedLSN(l);
        stream.setFlushedLSN(l);
        stream.forceUpdateStatus();
    }

    private boolean live(String table) {
        FeedTableStatus s = statuses.get(table);
        return s != null && s.state().equals(FeedTableStatus.STREAMING) && tables.containsKey(table);
    }

    /** Maps a Relation message onto the Delta table; columns added at the end follow, other changes stop the table. */
    private Mapped map(PgOutput.Relation r) throws Exception {
        if (!r.schema().equals(config.pgSchema()) || !statuses.containsKey(r.table())) return null;
        FeedTableStatus status = statuses.get(r.table());
        if (!status.state().equals(FeedTableStatus.STREAMING)) return null;
        DeltaChangeTable t = tables.get(r.table());
        if (t == null) {
            List<String> keys = r.columns().stream().filter(PgOutput.Column::key).map(PgOutput.Column::name).toList();
            StructType schema = new StructType(r.columns().stream().map(c -> new StructField(c.name(), CdfTypes.deltaType(c.typeOid(), c.typeModifier()), true)).toList());
            t = table(r.table(), schema, keys);
        }
        StructType schema = t.schema();
        List<StructField> addedColumns = new ArrayList<>();
        int[] index = new int[r.columns().size()];
        DataType[] types = new DataType[r.columns().size()];
        List<Integer> keyPositions = new ArrayList<>();
        for (int i = 0; i < r.columns().size(); i++) {
            PgOutput.Column c = r.columns().get(i);
            DataType type = CdfTypes.deltaType(c.typeOid(), c.typeModifier());
            int at = schema.indexOf(c.name());
            if (at < 0) {
                addedColumns.add(new StructField(c.name(), type, true));
                at = schema.length() + addedColumns.size() - 1;
            } else if (!Objects.equals(schema.at(at).getDataType(), type)) {
                terminate(r.table(), "Column " + c.name() + " changed type in Postgres (now maps to " + type + ", Delta has "
                        + schema.at(at).getDataType() + "); Delta cannot follow that change, so the feed of this table stopped at "
                        + Lsn.format(t.committedLsn()) + ". Delete and re-create the CDF config to start it again.");
                return null;
            }
            index[i] = at;
            types[i] = type;
            if (c.key()) keyPositions.add(i);
        }
        if (r.columns().size() - addedColumns.size() < schema.length()) {
            terminate(r.table(), "A column was dropped or renamed in Postgres; Delta cannot follow that change, so the feed of this table stopped at "
                    + Lsn.format(t.committedLsn()) + ". Delete and re-create the CDF config to start it again.");
            return null;
        }
        if (!addedColumns.isEmpty()) {
            t.addColumns(addedColumns);
            log.info("cdf table={} added columns={}", r.table(), addedColumns.stream().map(StructField::getName).toList());
        }
        return new Mapped(r.table(), index, types, keyPositions.stream().mapToInt(Integer::intValue).toArray());
    }

    private void terminate(String table, String detail) {
        FeedTableStatus s = statuses.get(table);
        report(new FeedTableStatus(table, FeedTableStatus.TERMINATED, s == null ? 0 : s.committedLsn(), s == null ? null : s.lastSyncTime(), detail));
        tables.remove(table);
    }

    private void add(Map<String, List<DeltaChangeTable.Change>> inTxn, Mapped r, DeltaChangeTable.Kind kind, PgOutput.Tuple old, PgOutput.Tuple row) {
        if (r == null || !live(r.table())) return;
        int width = tables.get(r.table()).schema().length();
        Object[] oldRow = old == null ? null : values(r, old, width);
        Object[] newRow = row == null ? null : values(r, row, width);
        inTxn.computeIfAbsent(r.table(), k -> new ArrayList<>()).add(new DeltaChangeTable.Change(kind, oldRow, newRow));
    }

    private static Object[] values(Mapped r, PgOutput.Tuple t, int width) {
        Object[] out = new Object[width];
        for (int i = 0; i < t.values().size() && i < r.deltaIndex().length; i++) {
            out[r.deltaIndex()[i]] = t.unchanged(i) ? DeltaChangeTable.UNCHANGED : CdfTypes.value(r.types()[i], t.values().get(i));
        }
        return out;
    }

    private long flush(Map<String, List<DeltaChangeTable.Change>> pending, long lsn) throws Exception {
        long n = 0;
        for (Map.Entry<String, List<DeltaChangeTable.Change>> e : pending.entrySet()) {
            DeltaChangeTable t = tables.get(e.getKey());
            if (t == null || e.getValue().isEmpty()) continue;
            t.apply(e.getValue(), lsn);
            n += e.getValue().size();
            appliedTotal.addAndGet(e.getValue().size());
            report(new FeedTableStatus(e.getKey(), FeedTableStatus.STREAMING, lsn, Instant.now(), null));
        }
        pending.clear();
        return n;
    }

    private void report(FeedTableStatus s) {
        statuses.put(s.pgTable(), s);
        onStatus.accept(s);
    }

    /** Bytes of WAL the slot keeps (current LSN minus its restart LSN), or null when there is no slot. */
    private Long retainedBytes(Connection admin) throws SQLException {
        try (PreparedStatement ps = admin.prepareStatement("SELECT (pg_catalog.pg_current_wal_lsn() - restart_lsn)::bigint FROM pg_catalog.pg_replication_slots"
                + " WHERE slot_name = ?")) {
            ps.setString(1, config.slot());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getLong(1) : null;
            }
        }
    }

    /** Drops the slot and the publication of feed {@code slot} (both named so), if there. */
    public static void drop(Connection admin, String slot) throws SQLException {
        for (int attempt = 0; ; attempt++) {
            try (PreparedStatement ps = admin.prepareStatement("SELECT pg_catalog.pg_drop_replication_slot(slot_name) FROM pg_catalog.pg_replication_slots WHERE slot_name = ?")) {
                ps.setString(1, slot);
                ps.execute();
                break;
            } catch (SQLException e) {
                // the walsender of a pass that just ended may not have exited yet ("is active for PID …")
                if (!"55006".equals(e.getSQLState()) || attempt >= 50) throw e;
                try {
                    Thread.sleep(100);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
        exec(admin, "DROP PUBLICATION IF EXISTS " + ident(slot));
    }

    private boolean inPublication(Connection admin, String table) throws SQLException {
        try (PreparedStatement ps = admin.prepareStatement("SELECT 1 FROM pg_catalog.pg_publication_tables WHERE pubname = ? AND schemaname = ? AND tablename = ?")) {
            ps.setString(1, config.slot());
            ps.setString(2, config.pgSchema());
            ps.setString(3, table);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    private String qualified(String table) {
        return ident(config.pgSchema()) + "." + ident(table);
    }

    static String ident(String name) {
        return "\"" + name.replace("\"", "\"\"") + "\"";
    }

    private static boolean exists(Connection c, String sql, String parameter) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, parameter);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    private static String string(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static void exec(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }
}
