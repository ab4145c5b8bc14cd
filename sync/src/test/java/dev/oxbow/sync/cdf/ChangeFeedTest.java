package dev.oxbow.sync.cdf;

import dev.oxbow.compute.Lsn;

import dev.oxbow.compute.ComputeSpec;
import dev.oxbow.compute.LocalComputeRuntime;
import dev.oxbow.compute.PgConnections;
import dev.oxbow.compute.PostgresBinaries;
import dev.oxbow.compute.ProcessIdentity;
import io.delta.kernel.Snapshot;
import io.delta.kernel.TableManager;
import io.delta.kernel.defaults.engine.DefaultEngine;
import io.delta.kernel.engine.Engine;
import io.delta.kernel.types.StructType;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The change-feed engine against a real PostgreSQL 17 (wal_level=logical): snapshot, inserts/updates/deletes/
 * truncate and a large transaction, a crash between the Delta commit and the slot's confirmation, an added column,
 * a type change stopping its table, a table without a key skipped, the WAL-retention limit. Each check reads the
 * Delta table back with Delta Kernel and compares it with the Postgres table row by row.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ChangeFeedTest {
    static final String SUPERUSER = "oxbow_admin";
    private Path root;
    private LocalComputeRuntime runtime;
    private ComputeSpec spec;
    private Path lake;
    private final Map<String, FeedTableStatus> saved = new HashMap<>();
    private ChangeFeed.Connections connections;

    @BeforeAll
    void start() throws Exception {
        root = Path.of("/tmp", "oxbow-cdf-" + UUID.randomUUID().toString().substring(0, 8));
        Files.createDirectory(root, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        ProcessIdentity identity = ProcessIdentity.detect("postgres");
        runtime = new LocalComputeRuntime(new PostgresBinaries(Path.of("/tmp/oxbow-test-pg"), identity), identity);
        spec = new ComputeSpec("ep-cdf", "tenant-a", 17, root.resolve("pg").resolve("pgdata"), root.resolve("s"),
                Map.of("wal_level", "logical", "max_replication_slots", "4", "max_wal_senders", "4"));
        runtime.initdb("tenant-a", 17, spec.dataDir(), SUPERUSER);
        runtime.start(spec);
        lake = Files.createDirectories(root.resolve("lake").resolve("shop"));
        connections = new FeedConnections(spec.socketDir(), "postgres", SUPERUSER);
        sql("CREATE SCHEMA shop",
                "CREATE TABLE shop.items (id bigint PRIMARY KEY, name text, price numeric(10,2), at timestamptz, day date, raw bytea, ok boolean, f double precision)",
                "CREATE TABLE shop.nokey (a int)",
                "INSERT INTO shop.items SELECT g, 'item ' || g, g * 1.5, '2026-01-01 00:00:00+00'::timestamptz + g * interval '1 minute', '2026-01-01'::date + g,"
                        + " decode('00ff', 'hex'), g % 2 = 0, g / 3.0 FROM generate_series(1, 100) g");
    }

    @AfterAll
    void stop() {
        if (runtime != null) runtime.close();
    }

    ChangeFeed feed(long maxRetained, java.util.function.Consumer<FeedTableStatus> extra) {
        return new ChangeFeed(new ChangeFeed.Config("shop", "shop", lake, 3, maxRetained, 1000, Duration.ofMillis(1000), Duration.ofSeconds(30)),
                saved, s -> {
                    saved.put(s.pgTable(), s);
                    extra.accept(s);
                });
    }

    ChangeFeed feed() {
        return feed(1L << 30, s -> { });
    }

    @Test
    @Order(1)
    void snapshotThenDmlAndALargeTransactionEqualPostgresRowByRow() throws Exception {
        feed().pass(connections);
        assertThat(saved.get("items").state()).isEqualTo(FeedTableStatus.STREAMING);
        assertThat(saved.get("nokey").state()).isEqualTo(FeedTableStatus.SKIPPED);
        assertThat(saved.get("nokey").detail()).contains("no primary key");
        assertSame("items");
        assertThat(Files.exists(lake.resolve("nokey"))).isFalse();

        sql("INSERT INTO shop.items (id, name) VALUES (1000, 'new'), (1001, NULL)",
                "UPDATE shop.items SET name = 'renamed', price = 0.01 WHERE id <= 10",
                "UPDATE shop.items SET id = 2000 WHERE id = 11",
                "DELETE FROM shop.items WHERE id BETWEEN 20 AND 29",
                "UPDATE shop.nokey SET a = 1"); // a table without a key is not published: its updates still work
        feed().pass(connections);
        assertSame("items");

        sql("TRUNCATE shop.items", "INSERT INTO shop.items (id, name) VALUES (1, 'after truncate')");
        feed().pass(connections);
        assertSame("items");

        // one transaction of 10,000 rows, then updates of most of them: past the batch bound (1,000 here) it is written
        // to Delta files part by part, not held in memory, and still lands as one Delta commit
        long before = snapshot("items").getVersion();
        sql("BEGIN; INSERT INTO shop.items (id, name, f) SELECT g, 'big ' || g, g FROM generate_series(2, 10001) g; UPDATE shop.items SET f = -f WHERE id % 3 = 0; COMMIT");
        feed().pass(connections);
        assertSame("items");
        assertThat(snapshot("items").getVersion()).as("one commit for the transaction").isEqualTo(before + 1);
        assertThat(snapshot("items").getScanBuilder().build().getScanFiles(engine()).toInMemoryList().stream().mapToInt(b -> b.getData().getSize()).sum())
                .as("its parts' files").isGreaterThan(5);
        Snapshot s = snapshot("items");
        assertThat(s.getTableProperties()).containsEntry("delta.enableChangeDataFeed", "true");
        assertThat(Files.list(lake.resolve("items").resolve("_delta_log")).anyMatch(p -> p.getFileName().toString().endsWith(".checkpoint.parquet"))).isTrue();
        assertThat(Files.list(lake.resolve("items").resolve("_change_data")).count()).isPositive();
    }

    @Test
    @Order(2)
    void aCrashAfterTheDeltaCommitBeforeTheSlotConfirmsLosesAndDuplicatesNothing() throws Exception {
        sql("INSERT INTO shop.items (id, name) VALUES (50000, 'crash')", "UPDATE shop.items SET name = 'crash 2' WHERE id = 2");
        AtomicBoolean crashed = new AtomicBoolean();
        ChangeFeed crashing = feed(1L << 30, st -> {
            if (st.state().equals(FeedTableStatus.STREAMING) && crashed.compareAndSet(false, true)) throw new IllegalStateException("killed");
        });
        assertThatThrownBy(() -> crashing.pass(connections)).hasMessageContaining("killed");
        long versionAfterCrash = snapshot("items").getVersion();
        long lsn = snapshot("items").getLatestTransactionVersion(engine(), DeltaChangeTable.APP_ID).orElseThrow();
        // the slot was not confirmed past the commit, so it sends the batch again: the restarted feed skips it
        assertThat(slotConfirmed()).isLessThan(lsn);
        feed().pass(connections);
        assertThat(snapshot("items").getVersion()).isEqualTo(versionAfterCrash);
        assertThat(slotConfirmed()).isGreaterThanOrEqualTo(lsn);
        assertSame("items");
        sql("DELETE FROM shop.items WHERE id = 50000");
        feed().pass(connections);
        assertSame("items");
    }

    @Test
    @Order(3)
    void anAddedColumnFollowsAndATypeChangeStopsTheTable() throws Exception {
        sql("ALTER TABLE shop.items ADD COLUMN note text", "UPDATE shop.items SET note = 'n' || id WHERE id < 100",
                "CREATE TABLE shop.later (k int PRIMARY KEY, v text)", "INSERT INTO shop.later VALUES (1, 'one')");
        feed().pass(connections);
        assertThat(snapshot("items").getSchema().fieldNames()).contains("note");
        assertSame("items");
        assertThat(saved.get("later").state()).isEqualTo(FeedTableStatus.STREAMING);
        sql("INSERT INTO shop.later VALUES (2, 'two')");
        feed().pass(connections);
        assertSame("later");

        sql("ALTER TABLE shop.later ALTER COLUMN v TYPE int USING length(v)", "INSERT INTO shop.later VALUES (3, 3)");
        feed().pass(connections);
        assertThat(saved.get("later").state()).isEqualTo(FeedTableStatus.TERMINATED);
        assertThat(saved.get("later").detail()).contains("changed type");
        assertThat(saved.get("items").state()).isEqualTo(FeedTableStatus.STREAMING);
    }

    @Test
    @Order(4)
    void anOpenStreamAppliesEachCommitAsItComesAndEndsWhenToldWithTheSlotConfirmed() throws Exception {
        AtomicBoolean keep = new AtomicBoolean(true);
        ChangeFeed feed = feed();
        java.util.concurrent.CompletableFuture<ChangeFeed.PassResult> pass = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return feed.pass(connections, keep::get);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        Path log = lake.resolve("items").resolve("_delta_log");
        for (int round = 0; round < 2; round++) {
            long next = snapshot("items").getVersion() + 1;
            sql("INSERT INTO shop.items (id, name) VALUES (" + (70000 + round) + ", 'streamed')", "UPDATE shop.items SET name = 'streamed' WHERE id = " + (3 + round));
            java.time.Instant deadline = java.time.Instant.now().plusSeconds(30);
            while (!Files.exists(log.resolve(String.format("%020d.json", next))) && java.time.Instant.now().isBefore(deadline)) Thread.sleep(10);
            assertThat(log.resolve(String.format("%020d.json", next))).as("committed to Delta while the stream stays open").exists();
            assertThat(pass).as("the same pass, its stream still open").isNotDone();
        }
        keep.set(false);
        ChangeFeed.PassResult r = pass.get(60, java.util.concurrent.TimeUnit.SECONDS);
        assertSame("items");
        long lsnInDelta = snapshot("items").getLatestTransactionVersion(engine(), DeltaChangeTable.APP_ID).orElseThrow();
        assertThat(r.appliedChanges()).isEqualTo(4);
        assertThat(feed.appliedTotal()).isEqualTo(4);
        assertThat(slotConfirmed()).isGreaterThanOrEqualTo(lsnInDelta);
        assertThat(r.lagBytes()).isLessThan(64 * 1024); // confirmed up to what the walsender read: little WAL behind
    }

    @Test
    @Order(5)
    void aSlotPastTheRetentionLimitIsDroppedWithAClearStatus() throws Exception {
        sql("INSERT INTO shop.items (id) SELECT g FROM generate_series(60000, 61000) g");
        ChangeFeed.PassResult r = feed(1, s -> { }).pass(connections);
        assertThat(r.slotDropped()).isTrue();
        assertThat(saved.get("items").state()).isEqualTo(FeedTableStatus.TERMINATED);
        assertThat(saved.get("items").detail()).contains("dropped it so the compute's disk cannot fill");
        try (Connection c = admin(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_replication_slots")) {
            rs.next();
            assertThat(rs.getInt(1)).isZero();
        }
    }

    // ---- helpers

    private Connection admin() throws Exception {
        return PgConnections.open(spec.socketDir(), "postgres", SUPERUSER);
    }

    private void sql(String... statements) throws Exception {
        try (Connection c = admin(); Statement s = c.createStatement()) {
            for (String q : statements) s.execute(q);
        }
    }

    private long slotConfirmed() throws Exception {
        try (Connection c = admin(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = 'oxbow_cdf_shop'")) {
            rs.next();
            return Lsn.parse(rs.getString(1));
        }
    }

    private static Engine engine() {
        return DefaultEngine.create(new Configuration());
    }

    private Snapshot snapshot(String table) {
        return TableManager.loadSnapshot(lake.resolve(table).toString()).build(engine());
    }

    /** The Delta table read with Kernel equals the Postgres table, row by row (sorted by the first column). */
    private void assertSame(String table) throws Exception {
        Snapshot snapshot = snapshot(table);
        StructType schema = snapshot.getSchema();
        List<List<Object>> delta = new dev.oxbow.sync.DeltaSource(lake.resolve(table).toString())
                .rows(snapshot, (column, r) -> normal(CdfTypes.read(column, r)));
        List<List<Object>> pg = new ArrayList<>();
        StringBuilder select = new StringBuilder("SELECT ");
        for (int i = 0; i < schema.length(); i++) select.append(i == 0 ? "" : ", ").append('"').append(schema.at(i).getName()).append("\"::text");
        select.append(" FROM shop.").append(table);
        try (Connection c = connections.feedRole(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(select.toString())) {
            while (rs.next()) {
                List<Object> row = new ArrayList<>();
                for (int i = 0; i < schema.length(); i++) row.add(normal(CdfTypes.value(schema.at(i).getDataType(), rs.getString(i + 1))));
                pg.add(row);
            }
        }
        java.util.Comparator<List<Object>> byKey = java.util.Comparator.comparing(r -> ((Number) r.get(0)).longValue());
        delta.sort(byKey);
        pg.sort(byKey);
        assertThat(delta).hasSameSizeAs(pg);
        assertThat(delta).isEqualTo(pg);
    }

    private static Object normal(Object v) {
        return v instanceof byte[] b ? Arrays.toString(b) : v;
    }
}
