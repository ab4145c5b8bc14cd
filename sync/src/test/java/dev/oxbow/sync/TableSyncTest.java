package dev.oxbow.sync;

import io.delta.kernel.types.DoubleType;
import io.delta.kernel.types.LongType;
import io.delta.kernel.types.StringType;
import io.delta.kernel.types.StructType;
import io.delta.kernel.types.TimestampType;
import io.delta.kernel.types.VariantType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TableSyncTest {
    static final StructType SCHEMA = new StructType().add("id", LongType.LONG).add("name", StringType.STRING)
            .add("amount", DoubleType.DOUBLE).add("ts", TimestampType.TIMESTAMP);
    private static SyncPostgres pg;

    @BeforeAll
    static void start() throws Exception {
        pg = new SyncPostgres();
    }

    @AfterAll
    static void stop() {
        pg.close();
    }

    static Object[] row(Long id, String name, double amount, long second) {
        return new Object[] {id, name, amount, Instant.ofEpochSecond(1_700_000_000L + second)};
    }

    static List<Object[]> rows(long from, long to) {
        List<Object[]> out = new ArrayList<>();
        for (long i = from; i < to; i++) out.add(row(i, "name-" + i, i * 1.5, i));
        return out;
    }

    private Path newTable() {
        return pg.root.resolve("delta-" + UUID.randomUUID().toString().substring(0, 8));
    }

    /** The live rows of the Delta table's latest snapshot as sorted text, in the same shape as {@link #postgresRows}. */
    static List<String> deltaRows(Path table, List<String> key) throws Exception {
        DeltaSource source = new DeltaSource(table.toString());
        var snapshot = source.latest();
        List<String> out = new ArrayList<>();
        source.scan(snapshot, (batch, selected, changeType, op) -> {
            for (int r = 0; r < batch.getSize(); r++) {
                if (selected != null && !selected.getBoolean(r)) continue;
                if (batch.getColumnVector(0).isNullAt(r)) continue; // null keys are not synced
                StringBuilder b = new StringBuilder();
                for (int c = 0; c < batch.getSchema().length(); c++) {
                    var v = batch.getColumnVector(c);
                    var type = batch.getSchema().at(c).getDataType();
                    b.append(c == 0 ? "" : "|").append(v.isNullAt(r) ? "null"
                            : type instanceof LongType || type instanceof TimestampType ? Long.toString(v.getLong(r))
                            : type instanceof DoubleType ? Double.toString(v.getDouble(r)) : v.getString(r));
                }
                out.add(b.toString());
            }
        }, () -> {});
        out.sort(null);
        return out;
    }

    static List<String> postgresRows(Connection c, String table, int columns) throws Exception {
        List<String> out = new ArrayList<>();
        String select = columns == 4 ? "id::text, coalesce(name, 'null'), amount::float8::text, ((extract(epoch from ts) * 1000000)::bigint)::text"
                : "id::text, coalesce(name, 'null'), amount::float8::text, ((extract(epoch from ts) * 1000000)::bigint)::text, coalesce(extra, 'null')";
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT " + select + " FROM " + table)) {
            while (rs.next()) {
                StringBuilder b = new StringBuilder();
                for (int i = 1; i <= columns; i++) b.append(i == 1 ? "" : "|").append(rs.getString(i));
                out.add(b.toString());
            }
        }
        out.sort(null);
        return out;
    }

    /** One sync as Oxbow runs it: the superuser session prepares, the sync role's session {@code c} syncs. */
    static SyncOutcome sync(SyncSpec spec, DeltaSource source, Connection c, SyncProgress.Listener progress) throws Exception {
        pg.prepare("postgres", spec);
        return TableSync.run(spec, source, c, progress);
    }

    private static void normalizeDoubles(List<String> rows) {
        rows.replaceAll(s -> s.replace(".0|", "|"));
    }

    @Test
    void triggeredSyncAppliesAppendsDeletesAndUpdates() throws Exception {
        Path table = newTable();
        DeltaTableWriter w = DeltaTableWriter.create(table, SCHEMA, true);
        List<Object[]> first = rows(0, 100);
        first.add(row(null, "no key", 0, 0));
        w.append(first);
        SyncSpec spec = new SyncSpec("main.app.items", table.toString(), "app", "items", List.of("id"), null, true);
        DeltaSource source = new DeltaSource(table.toString());
        assertThat(TableSync.validate(spec, source).columns()).containsExactly("id", "name", "amount", "ts");
        try (Connection c = pg.connectAsSync("postgres")) {
            SyncOutcome initial = sync(spec, source, c, SyncProgress.Listener.NONE);
            assertThat(initial.kind()).isEqualTo(SyncOutcome.Kind.SNAPSHOT);
            assertThat(initial.rows()).isEqualTo(100);
            assertThat(initial.nullKeyRows()).isEqualTo(1);
            assertSame(c, table, "app.items");

            long appended = w.append(rows(100, 150));
            w.append(rows(150, 160));
            w.removeFilesOf(appended);                                      // Kernel-style remove-only delete
            w.update(r -> r[0] != null && (Long) r[0] % 10 == 0, r -> { r[1] = "updated"; return r; });
            w.delete(r -> r[0] != null && (Long) r[0] < 5);
            SyncOutcome changes = sync(spec, source, c, SyncProgress.Listener.NONE);
            assertThat(changes.kind()).isEqualTo(SyncOutcome.Kind.INCREMENTAL);
            assertThat(changes.version()).isEqualTo(w.version());
            assertThat(TableSync.syncedVersion(c, spec.syncedTable())).isEqualTo(w.version());
            assertSame(c, table, "app.items");
            assertThat(postgresRows(c, "app.items", 4)).hasSize(95 + 10 - 0);

            assertThat(sync(spec, source, c, SyncProgress.Listener.NONE).kind()).isEqualTo(SyncOutcome.Kind.UP_TO_DATE);
        }
    }

    private static void assertSame(Connection c, Path table, String pgTable) throws Exception {
        List<String> expected = deltaRows(table, List.of("id"));
        List<String> actual = postgresRows(c, pgTable, 4);
        normalizeDoubles(expected);
        normalizeDoubles(actual);
        assertThat(actual).containsExactlyElementsOf(expected);
    }

    @Test
    void snapshotRefusesDuplicateKeysUnlessATimeseriesKeyPicksTheNewest() throws Exception {
        Path table = newTable();
        DeltaTableWriter w = DeltaTableWriter.create(table, SCHEMA, false);
        w.append(List.<Object[]>of(row(1L, "old", 1, 10), row(1L, "new", 2, 20), row(2L, "only", 3, 5)));
        try (Connection c = pg.connectAsSync("postgres")) {
            SyncSpec strict = new SyncSpec("main.snap.dups", table.toString(), "snap", "dups", List.of("id"), null, false);
            assertThatThrownBy(() -> sync(strict, new DeltaSource(table.toString()), c, SyncProgress.Listener.NONE))
                    .isInstanceOf(SyncException.class).hasMessageContaining("same primary key").hasMessageContaining("id = 1")
                    .hasMessageContaining("timeseries_key");
            assertThat(TableSync.syncedVersion(c, strict.syncedTable())).as("nothing half-applied").isEqualTo(-1);

            SyncSpec newest = new SyncSpec("main.snap.dups2", table.toString(), "snap", "dups2", List.of("id"), "ts", false);
            sync(newest, new DeltaSource(table.toString()), c, SyncProgress.Listener.NONE);
            assertThat(postgresRows(c, "snap.dups2", 4)).hasSize(2).anyMatch(s -> s.startsWith("1|new|"));

            // SNAPSHOT copies everything again; readers kept their grants across the swap
            try (Connection admin = pg.connect(); Statement s = admin.createStatement()) {
                s.execute("CREATE ROLE reader");
            }
            try (Statement s = c.createStatement()) {
                s.execute("GRANT USAGE ON SCHEMA snap TO reader");
                s.execute("GRANT SELECT ON snap.dups2 TO reader");
            }
            w.append(List.<Object[]>of(row(3L, "three", 4, 30)));
            assertThat(sync(newest, new DeltaSource(table.toString()), c, SyncProgress.Listener.NONE).kind()).isEqualTo(SyncOutcome.Kind.SNAPSHOT);
            assertThat(postgresRows(c, "snap.dups2", 4)).hasSize(3);
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT has_table_privilege('reader', 'snap.dups2', 'SELECT')")) {
                rs.next();
                assertThat(rs.getBoolean(1)).isTrue();
            }
        }
    }

    @Test
    void additiveSchemaChangesAreAppliedOthersFailWithTheReason() throws Exception {
        Path table = newTable();
        DeltaTableWriter w = DeltaTableWriter.create(table, SCHEMA, true);
        w.append(rows(0, 10));
        SyncSpec spec = new SyncSpec("main.evolve.t", table.toString(), "evolve", "t", List.of("id"), null, true);
        try (Connection c = pg.connectAsSync("postgres")) {
            sync(spec, new DeltaSource(table.toString()), c, SyncProgress.Listener.NONE);
            w.changeSchema(SCHEMA.add("extra", StringType.STRING));
            w.append(List.<Object[]>of(new Object[] {10L, "ten", 15.0, Instant.ofEpochSecond(1_700_000_010L), "more"}));
            sync(spec, new DeltaSource(table.toString()), c, SyncProgress.Listener.NONE);
            assertThat(postgresRows(c, "evolve.t", 5)).hasSize(11).contains("10|ten|15|1700000010000000|more")
                    .contains("1|name-1|1.5|1700000001000000|null");

            w.changeSchema(new StructType().add("id", LongType.LONG).add("name", StringType.STRING));
            long before = TableSync.syncedVersion(c, spec.syncedTable());
            assertThatThrownBy(() -> sync(spec, new DeltaSource(table.toString()), c, SyncProgress.Listener.NONE))
                    .isInstanceOf(SyncException.class).hasMessageContaining("column amount was dropped");
            assertThat(TableSync.syncedVersion(c, spec.syncedTable())).isEqualTo(before);
        }
    }

    @Test
    void changesThatCanNoLongerBeReadFallBackToAFullCopy() throws Exception {
        Path table = newTable();
        DeltaTableWriter w = DeltaTableWriter.create(table, SCHEMA, true);
        w.append(rows(0, 10));
        SyncSpec spec = new SyncSpec("main.vacuum.t", table.toString(), "vacuum", "t", List.of("id"), null, true);
        try (Connection c = pg.connectAsSync("postgres")) {
            sync(spec, new DeltaSource(table.toString()), c, SyncProgress.Listener.NONE);
            long appended = w.append(rows(10, 20));
            w.removeFilesOf(appended);
            w.append(rows(20, 25));
            try (var files = java.nio.file.Files.list(table)) { // VACUUM: the removed file is gone
                for (Path f : files.filter(p -> p.toString().endsWith(".parquet")).toList()) {
                    if (!deltaFiles(table).contains(f.getFileName().toString())) java.nio.file.Files.delete(f);
                }
            }
            SyncOutcome outcome = sync(spec, new DeltaSource(table.toString()), c, SyncProgress.Listener.NONE);
            assertThat(outcome.kind()).isEqualTo(SyncOutcome.Kind.SNAPSHOT);
            assertThat(outcome.note()).contains("can no longer be read");
            assertSame(c, table, "vacuum.t");
        }
    }

    /** Data files the latest snapshot references. */
    private static java.util.Set<String> deltaFiles(Path table) throws Exception {
        java.util.Set<String> names = new java.util.HashSet<>();
        DeltaSource source = new DeltaSource(table.toString());
        var scan = source.latest().getScanBuilder().build();
        var engine = io.delta.kernel.defaults.engine.DefaultEngine.create(new org.apache.hadoop.conf.Configuration());
        try (var it = scan.getScanFiles(engine)) {
            while (it.hasNext()) {
                try (var rows = it.next().getRows()) {
                    while (rows.hasNext()) {
                        String path = io.delta.kernel.internal.InternalScanFileUtils.getAddFileStatus(rows.next()).getPath();
                        names.add(path.substring(path.lastIndexOf('/') + 1));
                    }
                }
            }
        }
        return names;
    }

    @Test
    void incrementalInsertOfAnExistingKeyIsADuplicate() throws Exception {
        Path table = newTable();
        DeltaTableWriter w = DeltaTableWriter.create(table, SCHEMA, true);
        w.append(rows(0, 10));
        SyncSpec spec = new SyncSpec("main.dup.t", table.toString(), "dup", "t", List.of("id"), null, true);
        try (Connection c = pg.connectAsSync("postgres")) {
            sync(spec, new DeltaSource(table.toString()), c, SyncProgress.Listener.NONE);
            w.append(List.<Object[]>of(row(3L, "again", 0, 99)));
            assertThatThrownBy(() -> sync(spec, new DeltaSource(table.toString()), c, SyncProgress.Listener.NONE))
                    .isInstanceOf(SyncException.class).hasMessageContaining("id = 3");
            SyncSpec withTs = new SyncSpec("main.dup.t2", table.toString(), "dup", "t2", List.of("id"), "ts", true);
            sync(withTs, new DeltaSource(table.toString()), c, SyncProgress.Listener.NONE);
            assertThat(postgresRows(c, "dup.t2", 4)).hasSize(10).anyMatch(s -> s.startsWith("3|again|"));
        }
    }

    @Test
    void typesMapAsTheReferenceSaysAndUnsupportedOnesAreRefused() throws Exception {
        assertThatThrownBy(() -> TypeMapping.columns(new StructType().add("id", LongType.LONG).add("v", VariantType.VARIANT)))
                .isInstanceOf(SyncException.class).hasMessageContaining("v variant");
        StructType all = new StructType().add("id", LongType.LONG)
                .add("i", io.delta.kernel.types.IntegerType.INTEGER).add("s", io.delta.kernel.types.ShortType.SHORT)
                .add("b", io.delta.kernel.types.ByteType.BYTE).add("ok", io.delta.kernel.types.BooleanType.BOOLEAN)
                .add("f", io.delta.kernel.types.FloatType.FLOAT).add("d", new io.delta.kernel.types.DecimalType(12, 3))
                .add("bin", io.delta.kernel.types.BinaryType.BINARY).add("day", io.delta.kernel.types.DateType.DATE)
                .add("ntz", io.delta.kernel.types.TimestampNTZType.TIMESTAMP_NTZ);
        Path table = newTable();
        DeltaTableWriter w = DeltaTableWriter.create(table, all, false);
        w.append(List.<Object[]>of(new Object[] {1L, 7, (short) 8, (byte) 9, true, 1.5f, new BigDecimal("-12345.678"), new byte[] {1, 2},
                LocalDate.of(2024, 2, 29), java.time.LocalDateTime.of(2024, 1, 2, 3, 4, 5)},
                new Object[] {2L, null, null, null, null, null, new BigDecimal("0.001"), null, null, null}));
        SyncSpec spec = new SyncSpec("main.types.t", table.toString(), "types", "t", List.of("id"), null, false);
        try (Connection c = pg.connectAsSync("postgres")) {
            sync(spec, new DeltaSource(table.toString()), c, SyncProgress.Listener.NONE);
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                    "SELECT i, s, b, ok, f, d::text, encode(bin, 'hex'), day::text, ntz::text, pg_typeof(b)::text, pg_typeof(ntz)::text FROM types.t ORDER BY id")) {
                rs.next();
                assertThat(List.of(rs.getInt(1), rs.getInt(2), rs.getInt(3))).containsExactly(7, 8, 9);
                assertThat(rs.getBoolean(4)).isTrue();
                assertThat(rs.getFloat(5)).isEqualTo(1.5f);
                assertThat(rs.getString(6)).isEqualTo("-12345.678");
                assertThat(rs.getString(7)).isEqualTo("0102");
                assertThat(rs.getString(8)).isEqualTo("2024-02-29");
                assertThat(rs.getString(9)).isEqualTo("2024-01-02 03:04:05");
                assertThat(rs.getString(10)).isEqualTo("smallint");
                assertThat(rs.getString(11)).isEqualTo("timestamp without time zone");
                rs.next();
                assertThat(rs.getString(6)).isEqualTo("0.001");
            }
        }
    }
}
