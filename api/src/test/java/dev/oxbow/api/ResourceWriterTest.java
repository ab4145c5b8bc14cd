package dev.oxbow.api;

import dev.oxbow.metadata.OperationKind;
import dev.oxbow.metadata.BranchState;
import dev.oxbow.metadata.EndpointState;
import com.fasterxml.jackson.databind.JsonNode;
import dev.oxbow.compute.ComputeListener;
import dev.oxbow.compute.ComputeRuntime;
import dev.oxbow.compute.ComputeSpec;
import dev.oxbow.compute.RunningCompute;
import dev.oxbow.controlplane.compute.ComputeSizing;
import dev.oxbow.controlplane.compute.Computes;
import dev.oxbow.controlplane.resource.Layout;
import dev.oxbow.metadata.Branch;
import dev.oxbow.metadata.Database;
import dev.oxbow.metadata.Endpoint;
import dev.oxbow.metadata.EndpointDefaults;
import dev.oxbow.metadata.MetadataStore;
import dev.oxbow.metadata.Operation;
import dev.oxbow.metadata.Project;
import dev.oxbow.metadata.RecordJson;
import dev.oxbow.metadata.Role;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static dev.oxbow.api.Bodies.onTheWire;
import static dev.oxbow.api.Bodies.resource;
import static org.assertj.core.api.Assertions.assertThat;

/** Resources rendered in the exact wire shape of the reference: status only, protobuf scalars, unset values omitted. */
class ResourceWriterTest {
    private static final Instant T0 = Instant.parse("2026-01-02T03:04:05Z");

    @TempDir
    Path dir;

    private MetadataStore store;
    private ResourceWriter writer;

    /** Runs nothing; reports the given endpoints as running. */
    private static final class Runtime implements ComputeRuntime {
        private final Map<String, RunningCompute> running = new java.util.concurrent.ConcurrentHashMap<>();

        @Override public void initdb(String tenant, int pgVersion, Path dataDir, String superuser) {}
        @Override public RunningCompute start(ComputeSpec spec) {
            RunningCompute rc = new RunningCompute(spec.endpointUid(), 1, spec.dataDir(), spec.socketDir(), spec.pgVersion());
            running.put(spec.endpointUid(), rc);
            return rc;
        }
        @Override public void stop(String endpointUid) { running.remove(endpointUid); }
        @Override public Optional<RunningCompute> find(String endpointUid) { return Optional.ofNullable(running.get(endpointUid)); }
        @Override public void stopOrphan(Path dataDir) {}
        @Override public void setListener(ComputeListener listener) {}
        @Override public String resourceControl() { return "fake"; }
        @Override public void close() {}
    }

    @BeforeEach
    void setUp() {
        store = MetadataStore.open(dir.resolve("oxbow.db"));
        Computes computes = new Computes(new Runtime(), new Layout(dir), store, Clock.fixed(T0, ZoneOffset.UTC),
                ComputeSizing.defaults(), null, Duration.ZERO);
        writer = new ResourceWriter(Bodies.MAPPER, "db.example.com", computes);
    }

    @AfterEach
    void tearDown() {
        store.close();
    }

    private static Project project() {
        return new Project("x", "proj-quiet-river-a1b2c3d4", Instant.parse("2026-01-02T03:04:05.123456789Z"), T0.plusSeconds(1), null, null,
                "Test Postgres Project", 16, 604800, new EndpointDefaults(0.5, 4, 300L, false, Map.of()), "production", null, null,
                false, "user@example.com");
    }

    private static Endpoint primary() {
        return new Endpoint("x", "production", "primary", "ep-bold-heron-12345678", T0, T0, Endpoint.READ_WRITE, EndpointState.ACTIVE, null,
                0.5, 2, 300L, false, false, Map.of("work_mem", "8MB"), 1, 1, false, T0);
    }

    /** Equal to the recorded shape as a client parses it (every field, no extra ones; numbers by value). */
    private static void assertWire(JsonNode actual, String expectedResource) {
        JsonNode expected = resource("wire/" + expectedResource);
        JsonNode wire = onTheWire(actual);
        assertThat(wire).isEqualTo(expected);
    }

    private static List<String> fields(JsonNode n) {
        List<String> out = new java.util.ArrayList<>();
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            out.add(it.next());
        }
        return out;
    }

    @Test
    void projectIsItsStatusWithTheReferenceFields() {
        JsonNode n = writer.project(project());
        assertWire(n, "project.json");
        assertThat(n.has("spec")).isFalse();
        assertThat(n.get("status").get("branch_logical_size_limit_bytes").isIntegralNumber()).as("int64 as a JSON number").isTrue();
    }

    @Test
    void projectOptionalFieldsAppearOnlyWhenSet() {
        Project p = project();
        Project full = new Project(p.projectId(), p.uid(), p.createTime(), p.updateTime(), T0.plusSeconds(60), T0.plus(Duration.ofDays(7)),
                p.displayName(), p.pgVersion(), p.historyRetentionSeconds(),
                new EndpointDefaults(1, 2, null, true, Map.of("work_mem", "64MB")), "dev", "budget-1",
                List.of(new Project.Tag("team", "data")), true, p.owner());
        JsonNode s = writer.project(full).get("status");
        assertThat(writer.project(full).get("delete_time").asText()).isEqualTo("2026-01-02T03:05:05Z");
        assertThat(writer.project(full).get("purge_time").asText()).isEqualTo("2026-01-09T03:04:05Z");
        assertThat(s.get("default_branch").asText()).isEqualTo("projects/x/branches/dev");
        assertThat(s.get("budget_policy_id").asText()).isEqualTo("budget-1");
        assertThat(onTheWire(s.get("custom_tags"))).isEqualTo(Bodies.json("[{\"key\":\"team\",\"value\":\"data\"}]"));
        assertThat(s.get("enable_pg_native_login").asBoolean()).isTrue();
        JsonNode d = s.get("default_endpoint_settings");
        assertThat(d.get("no_suspension").asBoolean()).isTrue();
        assertThat(d.has("suspend_timeout_duration")).as("never both").isFalse();
        assertThat(d.get("pg_settings").get("work_mem").asText()).isEqualTo("64MB");
        // unset values are omitted, never sent as ""
        JsonNode plain = writer.project(project());
        assertThat(fields(plain)).doesNotContain("delete_time", "purge_time");
        assertThat(fields(plain.get("status"))).doesNotContain("budget_policy_id", "custom_tags");
    }

    @Test
    void branchHasItsLineageAndTimes() {
        Branch b = new Branch("x", "dev", "br-calm-lake-00000000", T0, T0, BranchState.READY, null, T0.plusSeconds(2), false, false,
                "production", "0/16B3748", Instant.parse("2026-01-02T03:00:00Z"), T0.plus(Duration.ofDays(1)), null, null, 30L << 20);
        assertWire(writer.branch(b), "branch.json");
    }

    @Test
    void rootBranchOmitsItsSourceAndAPendingStateIsShownOnlyWhileDifferent() {
        Branch root = new Branch("x", "production", "br-x", T0, T0, BranchState.RESETTING, BranchState.READY, T0, true, true, null, null, null, null,
                null, null, 0);
        JsonNode s = writer.branch(root).get("status");
        assertThat(fields(s)).doesNotContain("source_branch", "source_branch_lsn", "source_branch_time", "expire_time", "delete_time");
        assertThat(s.get("pending_state").asText()).isEqualTo("READY");
        assertThat(s.get("default").asBoolean()).isTrue();
        assertThat(s.get("is_protected").asBoolean()).isTrue();
        Branch settled = root.withState(BranchState.READY, T0);
        assertThat(writer.branch(settled).get("status").has("pending_state")).isFalse();
    }

    @Test
    void endpointHasHostsSizeAndOxbowExtensions() {
        assertWire(writer.endpoint(primary()), "endpoint.json");
    }

    @Test
    void replicaHostIsItsOwnReadOnlyHost() {
        Endpoint e = primary();
        Endpoint replica = new Endpoint("x", "production", "ro", "ep-ro-1", T0, T0, Endpoint.READ_ONLY, EndpointState.IDLE, null, 0.5, 2, null, true,
                false, Map.of(), 1, 1, false, null);
        JsonNode s = writer.endpoint(replica).get("status");
        assertThat(s.get("hosts").get("host").asText()).isEqualTo("ep-ro-1.db.example.com");
        assertThat(s.get("hosts").get("read_only_host").asText()).isEqualTo("ep-ro-1.db.example.com");
        assertThat(s.get("no_suspension").asBoolean()).isTrue();
        assertThat(fields(s)).doesNotContain("suspend_timeout_duration", "current_cu", "last_active_time", "replication_lag_bytes");
        assertThat(onTheWire(s.get("settings"))).isEqualTo(Bodies.json("{\"pg_settings\":{}}"));
        assertThat(e.readWrite()).isTrue();
    }

    @Test
    void roleAndDatabase() {
        Role r = new Role("x", "production", "alice-example-com", T0, T0, "alice@example.com", null, "LAKEBASE_OAUTH_V1",
                List.of("DATABRICKS_SUPERUSER"), false, true, false, null);
        assertThat(onTheWire(writer.role(r))).isEqualTo(Bodies.json("""
                {"name":"projects/x/branches/production/roles/alice-example-com","role_id":"alice-example-com",
                 "parent":"projects/x/branches/production","create_time":"2026-01-02T03:04:05Z","update_time":"2026-01-02T03:04:05Z",
                 "status":{"role_id":"alice-example-com","postgres_role":"alice@example.com","identity_type":"IDENTITY_TYPE_UNSPECIFIED",
                  "auth_method":"LAKEBASE_OAUTH_V1","membership_roles":["DATABRICKS_SUPERUSER"],
                  "attributes":{"bypassrls":false,"createdb":true,"createrole":false}}}"""));
        Database d = new Database("x", "production", "databricks-postgres", T0, T0, "databricks_postgres", "alice-example-com");
        assertThat(onTheWire(writer.database(d))).isEqualTo(Bodies.json("""
                {"name":"projects/x/branches/production/databases/databricks-postgres","database_id":"databricks-postgres",
                 "parent":"projects/x/branches/production","create_time":"2026-01-02T03:04:05Z","update_time":"2026-01-02T03:04:05Z",
                 "status":{"database_id":"databricks-postgres","postgres_database":"databricks_postgres",
                  "role":"projects/x/branches/production/roles/alice-example-com"}}"""));
    }

    private static Operation op(String name, boolean done, String resultKind, String result, String code, String message) {
        return new Operation(name, "projects/x", "x", OperationKind.CREATE_PROJECT,
                "type.googleapis.com/databricks.postgres.v1.ProjectOperationMetadata", done, null, resultKind, result, code, message, T0, T0, 0);
    }

    @Test
    void operationInProgressHasNoResponseOrError() {
        assertWire(writer.operation(op("projects/x/operations/6f0c", false, null, null, null, null)), "operation-running.json");
    }

    @Test
    void finishedDeleteAnswersWithTheEmptyMessageNotNull() {
        assertWire(writer.operation(op("projects/x/operations/del-1", true, "empty", null, null, null)), "operation-deleted.json");
    }

    @Test
    void failedOperationCarriesTheErrorCodeAndMessage() {
        assertWire(writer.operation(op("projects/x/operations/x", true, null, null, "INVALID_PARAMETER_VALUE", "bad spec")), "operation-failed.json");
    }

    @Test
    void finishedCreateAnswersWithTheResourceAsAGetWould() {
        String stored = new RecordJson().write(project());
        JsonNode n = writer.operation(op("projects/x/operations/c1", true, "project", stored, null, null));
        assertThat(n.get("done").asBoolean()).isTrue();
        assertThat(n.has("error")).isFalse();
        assertThat(onTheWire(n.get("response"))).isEqualTo(resource("wire/project.json"));
        String endpoint = new RecordJson().write(primary());
        assertThat(onTheWire(writer.operation(op("projects/x/operations/c2", true, "endpoint", endpoint, null, null)).get("response")))
                .isEqualTo(resource("wire/endpoint.json"));
    }
}
