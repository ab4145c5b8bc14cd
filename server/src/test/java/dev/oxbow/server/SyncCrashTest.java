package dev.oxbow.server;

import org.junit.jupiter.api.extension.RegisterExtension;

import com.fasterxml.jackson.databind.JsonNode;
import dev.oxbow.sync.DeltaTableWriter;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * kill -9 of Oxbow in the middle of a sync and of a change feed's batch (one kill for both, to keep the suite short):
 * after a restart the sync resumes and Postgres equals the Delta snapshot; the feed resumes and its Delta table
 * equals Postgres row by row, nothing lost, nothing twice.
 */
class SyncCrashTest {
    @RegisterExtension
    static final TestHomes homes = new TestHomes();
    private static final String PRIMARY = "projects/crash-sync/branches/production/endpoints/primary";

    @Test
    void killNineMidSyncThenRestartLosesAndDuplicatesNothing() throws Exception {
        Path home = homes.newHome("sync-crash");
        Path table = home.resolve("lake").resolve("big");
        Path live = home.resolve("lake").resolve("live");
        DeltaTableWriter w = DeltaTableWriter.create(table, SyncedTableTest.SCHEMA, true);
        for (int i = 0; i < 4; i++) w.append(SyncedTableTest.rows(i * 50_000L, (i + 1) * 50_000L));
        DeltaTableWriter lw = DeltaTableWriter.create(live, SyncedTableTest.SCHEMA, true);
        lw.append(SyncedTableTest.rows(0, 10));

        Path cdfLake = java.nio.file.Files.createDirectories(home.resolve("cdf-lake"));
        ChildServer child = ChildServer.start(home, java.util.Map.of("OXBOW_CATALOGS", "lake=" + cdfLake));
        JsonNode project = child.run("POST", "/api/2.0/postgres/projects?project_id=crash-sync", "{}");
        assertThat(project.has("response")).as(project.toString()).isTrue();
        // a change feed of schema feed (its table shaped as the synced ones, so one check compares both with Delta)
        sql(child, home, "CREATE SCHEMA feed; CREATE TABLE feed.events (id bigint PRIMARY KEY, name text, amount double precision, ts timestamptz);"
                + " INSERT INTO feed.events SELECT g, 'e' || g, g, '2026-01-01'::timestamptz FROM generate_series(1, 1000) g");
        JsonNode feed = child.run("POST", "/api/2.0/postgres/projects/crash-sync/branches/production/databases/databricks-postgres/cdf-configs"
                + "?cdf_config_id=feed", "{\"catalog\":\"lake\",\"schema\":\"feed_cdf\",\"postgres_schema\":\"feed\"}");
        assertThat(feed.has("response")).as(feed.toString()).isTrue();
        Path feedTable = cdfLake.resolve("feed_cdf").resolve("events");
        // small transactions of inserts, updates and deletes until the kill, one large one among them; each touches only
        // the newest rows, so a feed batch rewrites few Delta files and the check stays cheap
        java.util.concurrent.atomic.AtomicBoolean writing = new java.util.concurrent.atomic.AtomicBoolean(true);
        Path socketDir = new dev.oxbow.controlplane.resource.Layout(home).socketDir(child.call("GET", "/api/2.0/postgres/" + PRIMARY, null).path("uid").asText());
        java.util.concurrent.CompletableFuture<Void> writer = java.util.concurrent.CompletableFuture.runAsync(() -> {
            try (var c = dev.oxbow.compute.PgConnections.open(socketDir, "databricks_postgres", dev.oxbow.controlplane.resource.Defaults.SYSTEM_ROLE);
                 var st = c.createStatement()) {
                for (long n = 0; writing.get() && n < 3000; n++) {
                    long base = 10_000 + n * 20;
                    st.execute(n == 5 ? "INSERT INTO feed.events SELECT g, 'big', g, now() FROM generate_series(1000000, 1005000) g"
                            : "BEGIN; INSERT INTO feed.events SELECT g, 'w', g, now() FROM generate_series(" + base + ", " + (base + 19) + ") g;"
                            + " UPDATE feed.events SET name = 'u', amount = amount + 1 WHERE id BETWEEN " + (base - 20) + " AND " + (base - 15) + ";"
                            + " DELETE FROM feed.events WHERE id BETWEEN " + (base - 14) + " AND " + (base - 12) + "; COMMIT");
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        await(() -> java.nio.file.Files.exists(feedTable.resolve("_delta_log").resolve(String.format("%020d.json", 3))));
        for (String[] call : new String[][] {
                {"/api/2.0/postgres/synced_tables?synced_table_id=main.crash.big", spec(table, "TRIGGERED")},
                {"/api/2.0/postgres/synced_tables?synced_table_id=main.crash.live", spec(live, "CONTINUOUS")}}) {
            JsonNode done = child.run("POST", call[0], call[1]);
            assertThat(done.has("response")).as(call[0] + " -> " + done).isTrue();
        }

        // a large change set, then kill -9 while it is being applied
        w.append(SyncedTableTest.rows(200_000, 400_000));
        w.update(r -> (Long) r[0] % 3 == 0, r -> { r[1] = "changed"; return r; });
        w.delete(r -> (Long) r[0] % 5 == 0);
        child.call("POST", "/api/2.0/postgres/synced_tables/main.crash.big:sync", null);
        await(() -> {
            try {
                return child.call("GET", "/api/2.0/postgres/synced_tables/main.crash.big", null)
                        .path("status").path("detailed_state").asText().equals("SYNCED_TABLE_ONLINE_TRIGGERED_UPDATE");
            } catch (Exception e) {
                return false;
            }
        });
        Thread.sleep(300);
        writing.set(false);
        writer.get(60, java.util.concurrent.TimeUnit.SECONDS);
        child.kill(); // the feed is still applying the last transactions

        try (TestServer t = TestServer.start(TestServer.config(home).withCatalogs(java.util.Map.of("lake", cdfLake)))) {
            await(() -> t.server().controlPlane().store().operations().pending().isEmpty());
            var big = t.server().controlPlane().store().syncedTables().get("synced_tables/main.crash.big").orElseThrow();
            assertThat(big.lastProcessedCommitVersion()).isEqualTo(w.version());
            SyncedTableTest.assertSynced(t, PRIMARY, table, "crash.big");
            assertThat(Sql.column(t, PRIMARY, "databricks_postgres", "SELECT version FROM _oxbow_sync.state WHERE synced_table = 'main.crash.big'"))
                    .containsExactly(Long.toString(w.version()));

            // the CONTINUOUS table is followed again after the restart
            lw.append(SyncedTableTest.rows(10, 20));
            await(() -> t.server().controlPlane().store().syncedTables().get("synced_tables/main.crash.live").orElseThrow()
                    .lastProcessedCommitVersion() == lw.version());
            SyncedTableTest.assertSynced(t, PRIMARY, live, "crash.live");

            // the feed resumes from its slot: Delta equals Postgres row by row, so nothing was lost or applied twice
            // (compared as lists until equal: AssertJ's diff of two long lists that differ is slow)
            Instant deadline = Instant.now().plus(Duration.ofSeconds(120));
            while (!SyncedTableTest.postgresRows(t, PRIMARY, "feed.events").equals(SyncedTableTest.deltaRows(feedTable))
                    && Instant.now().isBefore(deadline)) {
                Thread.sleep(200);
            }
            SyncedTableTest.assertSynced(t, PRIMARY, feedTable, "feed.events");
        }
    }

    /** Runs SQL on the project's primary of the child server, over the compute's own socket. */
    private static void sql(ChildServer child, Path home, String sql) throws Exception {
        JsonNode ep = child.call("GET", "/api/2.0/postgres/" + PRIMARY, null);
        Path socketDir = new dev.oxbow.controlplane.resource.Layout(home).socketDir(ep.path("uid").asText());
        try (var c = dev.oxbow.compute.PgConnections.open(socketDir, "databricks_postgres", dev.oxbow.controlplane.resource.Defaults.SYSTEM_ROLE);
             var st = c.createStatement()) {
            st.execute(sql);
        }
    }

    private static String spec(Path source, String policy) {
        return "{\"spec\":{\"source_table_full_name\":\"" + source + "\",\"primary_key_columns\":[\"id\"],\"scheduling_policy\":\"" + policy
                + "\",\"branch\":\"projects/crash-sync/branches/production\",\"postgres_database\":\"databricks_postgres\"}}";
    }

    static void await(BooleanSupplier condition) throws InterruptedException {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(120));
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) throw new AssertionError("condition not met in 120 s");
            Thread.sleep(50);
        }
    }
}
