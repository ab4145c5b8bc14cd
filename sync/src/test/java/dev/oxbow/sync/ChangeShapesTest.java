package dev.oxbow.sync;

import io.delta.kernel.types.DecimalType;
import io.delta.kernel.types.LongType;
import io.delta.kernel.types.StringType;
import io.delta.kernel.types.StructType;
import io.delta.kernel.types.TimestampType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Incremental syncs of every change shape Spark writes equal a fresh SNAPSHOT copy of the same version, row by row,
 * after every commit (one incremental table synced per commit) and after all of them (one synced once, so several
 * changes to a key meet in one batch): updates inside and across partitions, key-changing updates, a chain of key
 * changes in one commit, MERGE, DELETE with cdc files, DELETE with deletion vectors, Kernel's remove-only commits,
 * on partitioned tables (change files without the partition columns) and with column mapping (physical names).
 */
class ChangeShapesTest {
    static final StructType SCHEMA = new StructType().add("id", LongType.LONG).add("region", StringType.STRING)
            .add("name", StringType.STRING).add("amount", new DecimalType(10, 2)).add("ts", TimestampType.TIMESTAMP);
    private static SyncPostgres pg;

    @BeforeAll
    static void start() throws Exception {
        pg = new SyncPostgres();
    }

    @AfterAll
    static void stop() {
        pg.close();
    }

    /** The table layouts Spark writes with the change data feed on. */
    enum Layout {
        PLAIN(List.of(), Map.of()),
        PARTITIONED(List.of("region"), Map.of()),
        PARTITIONED_COLUMN_MAPPING(List.of("region"), Map.of("delta.columnMapping.mode", "name")),
        DELETION_VECTORS(List.of(), Map.of("delta.enableDeletionVectors", "true")),
        PARTITIONED_DELETION_VECTORS(List.of("region"), Map.of("delta.enableDeletionVectors", "true"));

        final List<String> partitions;
        final Map<String, String> properties;

        Layout(List<String> partitions, Map<String, String> properties) {
            this.partitions = partitions;
            this.properties = properties;
        }

        boolean deletionVectors() {
            return properties.containsKey("delta.enableDeletionVectors");
        }
    }

    static Object[] row(long id) {
        String region = id % 3 == 0 ? "eu" : id % 3 == 1 ? "us" : null; // null partition values too
        return new Object[] {id, region, "name-" + id, new BigDecimal(id + ".25"), Instant.ofEpochSecond(1_700_000_000L + id)};
    }

    static List<Object[]> rows(long from, long to) {
        List<Object[]> out = new ArrayList<>();
        for (long i = from; i < to; i++) out.add(row(i));
        return out;
    }

    static long id(Object[] r) {
        return (Long) r[0];
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    void everyCommitAppliedIncrementallyEqualsAFreshSnapshot(Layout layout) throws Exception {
        Path table = pg.root.resolve("shapes-" + UUID.randomUUID().toString().substring(0, 8));
        Map<String, String> props = new java.util.HashMap<>(layout.properties);
        props.put("delta.enableChangeDataFeed", "true");
        DeltaTableWriter w = DeltaTableWriter.create(table, SCHEMA, layout.partitions, props);
        String schema = "s_" + layout.name().toLowerCase();
        SyncSpec perCommit = spec(schema, "per_commit", table, true);
        SyncSpec batched = spec(schema, "batched", table, true);
        SyncSpec fresh = spec(schema, "fresh", table, false);
        try (Connection c = pg.connectAsSync("postgres")) {
            w.append(rows(0, 30));
            sync(perCommit, table, c);
            sync(batched, table, c);
            // each step is one commit as Spark writes it; after each, the per-commit table must equal a fresh copy
            step(w.update(r -> id(r) % 4 == 0, r -> { r[2] = "renamed"; return r; }), perCommit, fresh, table, c);
            step(w.update(r -> id(r) % 5 == 1, r -> { r[1] = "ap"; return r; }), perCommit, fresh, table, c);        // moves partition
            step(w.update(r -> id(r) < 3, r -> { r[0] = id(r) + 100; return r; }), perCommit, fresh, table, c);      // changes the key
            step(w.update(r -> id(r) == 28 || id(r) == 29, r -> { r[0] = id(r) + 1; return r; }), perCommit, fresh, table, c); // 28->29, 29->30
            step(w.merge(r -> id(r) % 7 == 0, r -> id(r) % 6 == 1, r -> { r[3] = new BigDecimal("-1.50"); return r; }, rows(200, 205)),
                    perCommit, fresh, table, c);
            step(w.delete(r -> id(r) == 200 || id(r) == 201), perCommit, fresh, table, c);
            step(w.append(rows(300, 305)), perCommit, fresh, table, c);
            step(w.delete(r -> id(r) >= 300 && id(r) < 303), perCommit, fresh, table, c);                          // deletes rows just inserted
            step(w.append(rows(400, 405)), perCommit, fresh, table, c);
            if (layout.deletionVectors()) {
                step(w.deleteWithDeletionVectors(r -> id(r) % 2 == 0 && id(r) < 20), perCommit, fresh, table, c);
                step(w.deleteWithDeletionVectors(r -> id(r) % 3 == 1 || id(r) == 401), perCommit, fresh, table, c);  // a second DV on the same files
                step(w.update(r -> id(r) == 203, r -> { r[2] = "after dv"; return r; }), perCommit, fresh, table, c);
            }
            long kernelAppend = w.append(rows(500, 503));
            step(kernelAppend, perCommit, fresh, table, c);
            step(w.removeFilesOf(kernelAppend), perCommit, fresh, table, c);                                          // remove-only, no cdc files
            step(w.update(r -> id(r) == 30, r -> { r[0] = 600L; r[1] = "eu"; return r; }), perCommit, fresh, table, c); // key and partition

            // the same commits in one batch: several changes per key, an insert and a delete of one key in one run
            SyncOutcome all = sync(batched, table, c);
            assertThat(all.kind()).isEqualTo(SyncOutcome.Kind.INCREMENTAL);
            assertThat(rowsOf(c, batched)).containsExactlyElementsOf(rowsOf(c, fresh));
            List<Long> ids = ids(c, fresh);
            assertThat(ids).contains(101L, 102L, 29L, 600L, 203L).doesNotContain(0L, 1L, 2L, 28L, 30L, 200L, 300L, 500L);
            assertThat(TableSync.syncedVersion(c, batched.syncedTable())).isEqualTo(w.version());
        }
    }

    private static SyncSpec spec(String schema, String table, Path source, boolean incremental) {
        return new SyncSpec("main." + schema + "." + table, source.toString(), schema, table, List.of("id"), null, incremental);
    }

    private static SyncOutcome sync(SyncSpec spec, Path table, Connection c) throws Exception {
        pg.prepare("postgres", spec);
        return TableSync.run(spec, new DeltaSource(table.toString()), c, SyncProgress.Listener.NONE);
    }

    /** After commit {@code version}: the incremental table applied it as changes and equals a fresh full copy. */
    private static void step(long version, SyncSpec incremental, SyncSpec fresh, Path table, Connection c) throws Exception {
        SyncOutcome applied = sync(incremental, table, c);
        assertThat(applied.kind()).as("version %d is applied as changes, not by a full copy (%s)", version, applied.note())
                .isEqualTo(SyncOutcome.Kind.INCREMENTAL);
        assertThat(applied.version()).isEqualTo(version);
        SyncOutcome copied = sync(fresh, table, c);
        assertThat(copied.version()).isEqualTo(version);
        assertThat(rowsOf(c, incremental)).as("after version %d", version).containsExactlyElementsOf(rowsOf(c, fresh));
        assertThat(rowsOf(c, fresh)).as("the copy is the Delta snapshot").hasSize(liveKeys(table));
    }

    private static int liveKeys(Path table) throws Exception {
        DeltaSource source = new DeltaSource(table.toString());
        return (int) source.rowsAsText(source.latest()).stream().filter(r -> r.get(0) != null).count();
    }

    static List<Long> ids(Connection c, SyncSpec spec) throws Exception {
        List<Long> out = new ArrayList<>();
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT id FROM " + Sql.qualified(spec.pgSchema(), spec.pgTable()))) {
            while (rs.next()) out.add(rs.getLong(1));
        }
        return out;
    }

    static List<String> rowsOf(Connection c, SyncSpec spec) throws Exception {
        List<String> out = new ArrayList<>();
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT to_jsonb(t)::text FROM "
                + Sql.qualified(spec.pgSchema(), spec.pgTable()) + " t ORDER BY id")) {
            while (rs.next()) out.add(rs.getString(1));
        }
        return out;
    }
}
