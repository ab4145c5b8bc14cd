package dev.oxbow.controlplane.sync;

import dev.oxbow.metadata.SchedulingPolicy;
import dev.oxbow.metadata.SyncedTable;
import dev.oxbow.metadata.SyncedTableState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

import static org.assertj.core.api.Assertions.assertThat;

/** How a failed sync is worded and classified, and how far a source is ahead, without a server. */
class SyncFailureWordsTest {
    @Test
    void causesAreWordedWithoutLibraryInternals() {
        assertThat(SyncRunner.cause(new RuntimeException(new SQLException("ERROR: tuple concurrently updated\n  Where: ...", "XX000"))))
                .isEqualTo("Postgres reported SQLSTATE XX000, ERROR: tuple concurrently updated");
        assertThat(SyncRunner.cause(new ExecutionException(new TimeoutException()))).isEqualTo("the branch's compute did not start in time");
        // a library's message may quote file contents or internal objects: only the kind is shown
        assertThat(SyncRunner.cause(new IllegalArgumentException("StructField(name=v,type=variant) at offset 3: secret")))
                .isEqualTo("unexpected IllegalArgumentException");
    }

    @Test
    void onlyFailuresOxbowRetriesKeepACONTINUOUSTableFollowed() {
        SyncedTable online = table(SyncedTableState.SYNCED_TABLE_ONLINE_CONTINUOUS_UPDATE, null);
        assertThat(SyncRunner.needsPerson(online)).isFalse();
        assertThat(SyncRunner.needsPerson(online.withState(SyncedTableState.SYNCED_TABLE_ONLINE_PIPELINE_FAILED,
                SyncRunner.RETRYING + ": the branch's compute did not start in time."))).isFalse();
        assertThat(SyncRunner.needsPerson(online.withState(SyncedTableState.SYNCED_TABLE_ONLINE_PIPELINE_FAILED,
                "The source schema changed between Delta versions 3 and 4 ..."))).isTrue();
    }

    @Test
    void theSourceLogCountsCommitsAheadWithoutFollowingLinks(@TempDir Path table) throws Exception {
        Path log = Files.createDirectories(table.resolve("_delta_log"));
        for (int v = 0; v <= 3; v++) Files.writeString(log.resolve(String.format("%020d.json", v)), "{}");
        assertThat(SourceLog.newestAfter(table.toString(), 1)).isEqualTo(3);
        assertThat(SourceLog.newestAfter(table.toUri().toString(), 3)).isEqualTo(3);
        Files.createSymbolicLink(log.resolve(String.format("%020d.json", 4)), table.resolve("nowhere"));
        assertThat(SourceLog.newestAfter(table.toString(), 3)).as("a dangling link still counts: its target is not probed").isEqualTo(4);
    }

    private static SyncedTable table(SyncedTableState state, String message) {
        return new SyncedTable("main.s.t", "uid", Instant.EPOCH, "p", "projects/p/branches/b", "db", "main.s.t", "/tmp/none", List.of("id"),
                null, SchedulingPolicy.CONTINUOUS, state, message, 3L, null, null, null);
    }
}
