package dev.oxbow.controlplane.operation;

import dev.oxbow.metadata.Database;
import dev.oxbow.metadata.MetadataStore;
import dev.oxbow.metadata.Operation;
import dev.oxbow.metadata.OperationKind;
import dev.oxbow.metadata.RecordJson;
import dev.oxbow.metadata.Role;
import dev.oxbow.storage.PointInTimeRecovery;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Requests written before they were typed were maps of snake-case keys, with resource snapshots as JSON strings,
 * encoded by the store's {@link RecordJson}; rows of that shape in an existing metadata DB must still read.
 */
class OperationRequestCodecTest {
    private static final Instant T0 = Instant.parse("2026-01-02T03:04:05Z");
    private static final Role ROLE = new Role("p", "production", "app", T0, T0, "app", null, "LAKEBASE_OAUTH_V1_TOKEN",
            List.of("readers"), false, true, false, null);
    private static final Database DB = new Database("p", "production", "shop", T0, T0, "shop", "app");

    private final OperationRequestCodec codec = new OperationRequestCodec();
    /** How the services wrote requests before: a map through the store's JSON. */
    private final RecordJson oldWriter = new RecordJson();

    @TempDir
    Path dir;

    private static Operation op(OperationKind kind, String request) {
        return new Operation("projects/p/operations/1", "projects/p", "p", kind, "M", false, request, null, null, null, null, T0, T0, 0);
    }

    @Test
    void oldRowsReadAsTypedRequests() {
        assertThat(codec.read(op(OperationKind.DELETE_BRANCH, oldWriter.write(Map.of("purge", true))), OperationRequest.Delete.class).purge()).isTrue();
        assertThat(codec.read(op(OperationKind.CREATE_BRANCH, null), OperationRequest.CreateBranch.class).point()).isNull();
        assertThat(codec.read(op(OperationKind.CREATE_BRANCH, oldWriter.write(Map.of("source_branch_time", T0.toString()))),
                OperationRequest.CreateBranch.class).point()).isEqualTo(new PointInTimeRecovery.Target(null, T0));

        Map<String, Object> restore = new LinkedHashMap<>(Map.of("source_branch_lsn", "0/16B3748"));
        restore.put("old_branch_id", "dev_old_20260102030405");
        restore.put("old_branch_uid", "br-old");
        assertThat(codec.read(op(OperationKind.RESTORE_BRANCH, oldWriter.write(restore)), OperationRequest.RestoreBranch.class))
                .isEqualTo(new OperationRequest.RestoreBranch("0/16B3748", null, "dev_old_20260102030405", "br-old", null));

        // snapshot rows written as maps before the requests were typed (wt-snap)
        assertThat(codec.read(op(OperationKind.CREATE_BRANCH, oldWriter.write(Map.of("source_snapshot", "projects/p/snapshots/s"))),
                OperationRequest.CreateBranch.class)).isEqualTo(OperationRequest.CreateBranch.fromSnapshot("projects/p/snapshots/s"));
        Map<String, Object> fromSnapshot = new LinkedHashMap<>(Map.of("source_snapshot", "projects/p/snapshots/s"));
        fromSnapshot.put("old_branch_id", "dev_old_20260102030405");
        fromSnapshot.put("old_branch_uid", "br-old");
        assertThat(codec.read(op(OperationKind.RESTORE_BRANCH, oldWriter.write(fromSnapshot)), OperationRequest.RestoreBranch.class))
                .isEqualTo(new OperationRequest.RestoreBranch(null, null, "dev_old_20260102030405", "br-old", "projects/p/snapshots/s"));
        assertThat(codec.read(op(OperationKind.CREATE_SNAPSHOT, null), OperationRequest.None.class)).isEqualTo(OperationRequest.NONE);

        Map<String, Object> dropRole = new LinkedHashMap<>();
        dropRole.put("postgres_role", "app");
        dropRole.put("previous", oldWriter.write(ROLE));
        dropRole.put("reassign_owned_to", "owner");
        assertThat(codec.read(op(OperationKind.DELETE_ROLE, oldWriter.write(dropRole)), OperationRequest.DeleteRole.class))
                .isEqualTo(new OperationRequest.DeleteRole("app", ROLE, "owner"));
        assertThat(codec.read(op(OperationKind.CREATE_ROLE, null), OperationRequest.PutRole.class).previous()).isNull();
        assertThat(codec.read(op(OperationKind.DELETE_DATABASE, oldWriter.write(Map.of("previous", oldWriter.write(DB)))),
                OperationRequest.DeleteDatabase.class).previous()).isEqualTo(DB);
        assertThat(codec.read(op(OperationKind.CREATE_SYNCED_TABLE, oldWriter.write(Map.of("create_schema", false))),
                OperationRequest.CreateSyncedTable.class).createSchema()).isFalse();
        assertThat(codec.read(op(OperationKind.DELETE_SYNCED_TABLE, oldWriter.write(Map.of("purge_data", true))),
                OperationRequest.DeleteSyncedTable.class).purgeData()).isTrue();
    }

    @Test
    void newRowsHaveTheOldShape() {
        assertThat(codec.write(OperationKind.DELETE_PROJECT, new OperationRequest.Delete(true))).isEqualTo(oldWriter.write(Map.of("purge", true)));
        assertThat(codec.write(OperationKind.CREATE_BRANCH, OperationRequest.CreateBranch.of(new PointInTimeRecovery.Target(null, T0))))
                .isEqualTo(oldWriter.write(Map.of("source_branch_time", T0.toString())));
        assertThat(codec.write(OperationKind.DELETE_DATABASE, new OperationRequest.DeleteDatabase(DB)))
                .isEqualTo(oldWriter.write(Map.of("previous", oldWriter.write(DB))));
        assertThat(codec.write(OperationKind.UPDATE_PROJECT, OperationRequest.NONE)).isNull();
    }

    @Test
    void anOldRowInAMetadataDbReadsBackAfterARestart() {
        Map<String, Object> old = new LinkedHashMap<>();
        old.put("postgres_role", "app");
        old.put("previous", oldWriter.write(ROLE));
        try (MetadataStore store = MetadataStore.open(dir.resolve("oxbow.db"))) {
            store.operations().put(op(OperationKind.DELETE_ROLE, oldWriter.write(old)));
        }
        try (MetadataStore store = MetadataStore.open(dir.resolve("oxbow.db"))) {
            Operation pending = store.operations().pending().get(0);
            assertThat(codec.read(pending, OperationRequest.DeleteRole.class)).isEqualTo(new OperationRequest.DeleteRole("app", ROLE, null));
        }
    }

    @Test
    void aRequestOfTheWrongTypeForItsKindIsRefused() {
        assertThatThrownBy(() -> codec.write(OperationKind.DELETE_BRANCH, OperationRequest.NONE))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("DELETE_BRANCH carries Delete");
        assertThatThrownBy(() -> codec.read(op(OperationKind.DELETE_BRANCH, "{}"), OperationRequest.DeleteRole.class))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
