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

/** kill -9 of Oxbow in the middle of a sync: after a restart the sync resumes, and Postgres equals the Delta snapshot. */
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

        ChildServer child = ChildServer.start(home);
        for (String[] call : new String[][] {{"/api/2.0/postgres/projects?project_id=crash-sync", "{}"},
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
        child.kill();

        try (TestServer t = TestServer.start(home)) {
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
