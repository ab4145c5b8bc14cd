package dev.oxbow.metadata;

import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/** States and kinds are enums in code but stay the same strings in stored JSON, so existing rows still read. */
class StateJsonTest {
    private final RecordJson json = new RecordJson();
    private static final Instant T0 = Instant.parse("2026-01-02T03:04:05Z");

    @Test
    void aBranchStoresItsStatesAsTheirWireNames() {
        Branch b = new Branch("p", "dev", "br-x", T0, T0, BranchState.RESETTING, BranchState.READY, T0, false, false,
                "production", null, null, null, null, null, 0);
        String stored = json.write(b);
        assertThat(stored).contains("\"state\":\"RESETTING\"", "\"pendingState\":\"READY\"");
        assertThat(json.read(stored, Branch.class)).isEqualTo(b);
    }

    @Test
    void anOperationRowWrittenWithStringKindsStillReads() {
        String old = """
                {"name":"projects/p/operations/1","resourceName":"projects/p","projectId":"p","kind":"CREATE_PROJECT",
                 "metadataType":"M","done":false,"request":null,"createTime":"2026-01-02T03:04:05Z",
                 "updateTime":"2026-01-02T03:04:05Z","attempts":0}""";
        Operation op = json.read(old, Operation.class);
        assertThat(op.kind()).isEqualTo(OperationKind.CREATE_PROJECT);
        assertThat(json.write(op)).contains("\"kind\":\"CREATE_PROJECT\"");
    }

    @Test
    void anEndpointAndASyncedTableReadTheirStoredStrings() {
        String endpoint = """
                {"projectId":"p","branchId":"b","endpointId":"primary","uid":"ep-1","endpointType":"ENDPOINT_TYPE_READ_WRITE",
                 "state":"IDLE","pendingState":null,"minCu":0.5,"maxCu":2,"noSuspension":false,"disabled":false,
                 "groupMin":1,"groupMax":1,"enableReadableSecondaries":false}""";
        assertThat(json.read(endpoint, Endpoint.class).state()).isEqualTo(EndpointState.IDLE);
        String table = """
                {"syncedTableId":"c.s.t","projectId":"p","schedulingPolicy":"CONTINUOUS",
                 "state":"SYNCED_TABLE_ONLINE_PIPELINE_FAILED","primaryKeyColumns":["id"]}""";
        SyncedTable t = json.read(table, SyncedTable.class);
        assertThat(t.schedulingPolicy()).isEqualTo(SchedulingPolicy.CONTINUOUS);
        assertThat(t.state().failed()).isTrue();
    }
}
