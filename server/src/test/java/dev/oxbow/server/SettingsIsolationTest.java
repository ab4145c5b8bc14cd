package dev.oxbow.server;

import org.junit.jupiter.api.extension.RegisterExtension;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.oxbow.controlplane.ControlPlane;
import dev.oxbow.metadata.Endpoint;
import dev.oxbow.metadata.EndpointDefaults;
import dev.oxbow.metadata.Project;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 14, route 1: an ordinary user tries every setting that runs a command or loads code, on endpoints
 * and on project defaults, at create and at update. Each is refused with 400 INVALID_PARAMETER_VALUE naming
 * the key and changes nothing; and settings stored before the allow-list (written straight into the
 * metadata here) neither reach the compute nor run when a branch from the past is recovered.
 */
class SettingsIsolationTest {
    @RegisterExtension
    static final TestHomes homes = new TestHomes();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String API = "/api/2.0/postgres/";
    private static final String PROJECT = "projects/mallory-app";
    private static final String PROD = PROJECT + "/branches/production";
    private static final String PRIMARY = PROD + "/endpoints/primary";

    /** Keys that run a shell command, load a library or open code paths; each value would touch a marker. */
    private static final List<String> COMMAND_KEYS = List.of("recovery_end_command", "archive_cleanup_command", "archive_command",
            "archive_library", "restore_command", "ssl_passphrase_command", "shared_preload_libraries", "session_preload_libraries",
            "local_preload_libraries", "dynamic_library_path", "jit_provider", "plperl.on_init", "plperl.on_plperl_init",
            "plpython3u.on_init", "allow_system_table_mods", "Recovery_End_Command");

    static TestServer t;
    static String mallory;
    static Path markers;

    @BeforeAll
    static void start() throws Exception {
        t = TestServer.start(homes.newHome("settings-isolation"));
        mallory = t.userWithToken("mallory@example.com");
        var created = call("POST", API + "projects?project_id=mallory-app", "{\"spec\":{}}");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(200);
        t.awaitOperation(JSON.readTree(created.body()).path("name").asText(), Duration.ofSeconds(120));
        // the compute's OS user may write here: a command that ran would leave its file
        markers = homes.newHome("markers");
        Files.setPosixFilePermissions(markers, PosixFilePermissions.fromString("rwxrwxrwx"));
    }

    @AfterAll
    static void stop() {
        if (t != null) {
            t.close();
        }
    }

    @Test
    void everyCommandRunningKeyIsRefusedOnEndpointsAndProjectDefaultsAndChangesNothing() throws Exception {
        String endpointBefore = status(PRIMARY);
        String projectBefore = status(PROJECT);
        for (String key : COMMAND_KEYS) {
            ObjectNode settings = JSON.createObjectNode().put(key, "touch " + markers.resolve("api-" + key.toLowerCase()));

            ObjectNode endpoint = JSON.createObjectNode();
            endpoint.putObject("spec").put("endpoint_type", "ENDPOINT_TYPE_READ_ONLY").putObject("settings").set("pg_settings", settings);
            refused(call("POST", API + PROD + "/endpoints?endpoint_id=replica", endpoint.toString()), key);
            endpoint.with("spec").put("endpoint_type", "ENDPOINT_TYPE_READ_WRITE");
            refused(call("PATCH", API + PRIMARY + "?update_mask=spec.settings.pg_settings", endpoint.toString()), key);

            ObjectNode project = JSON.createObjectNode();
            project.putObject("spec").putObject("default_endpoint_settings").set("pg_settings", settings);
            refused(call("POST", API + "projects?project_id=mallory-two", project.toString()), key);
            refused(call("PATCH", API + PROJECT + "?update_mask=spec.default_endpoint_settings", project.toString()), key);
        }
        assertThat(call("GET", API + "projects/mallory-two", null).statusCode()).isEqualTo(404);
        assertThat(call("GET", API + PROD + "/endpoints/replica", null).statusCode()).isEqualTo(404);
        assertThat(status(PRIMARY)).isEqualTo(endpointBefore);
        assertThat(status(PROJECT)).isEqualTo(projectBefore);
        assertThat(markerFiles()).isEmpty();

        // the same user's legitimate tuning still works
        var tuned = call("PATCH", API + PRIMARY + "?update_mask=spec.settings",
                "{\"spec\":{\"endpoint_type\":\"ENDPOINT_TYPE_READ_WRITE\",\"settings\":{\"pg_settings\":{\"statement_timeout\":\"30s\"}}}}");
        assertThat(tuned.statusCode()).as(tuned.body()).isEqualTo(200);
        t.awaitOperation(JSON.readTree(tuned.body()).path("name").asText(), Duration.ofSeconds(120));
        assertThat(Sql.column(t, PRIMARY, "postgres", "SHOW statement_timeout")).containsExactly("30s");
    }

    @Test
    void settingsStoredBeforeTheAllowListNeverReachAComputeNorARecoveryServer() throws Exception {
        String marker = markers.resolve("legacy-").toString();
        Map<String, String> legacy = new LinkedHashMap<>();
        legacy.put("recovery_end_command", "touch " + marker + "recovery_end_command");
        legacy.put("archive_cleanup_command", "touch " + marker + "archive_cleanup_command");
        // a library that does not exist: the compute would not even start if this reached it
        legacy.put("shared_preload_libraries", "oxbow_no_such_library");
        legacy.put("lock_timeout", "7s");
        ControlPlane cp = t.server().controlPlane();
        // what a project created before the fix holds in its metadata
        Project p = cp.store().projects().get(PROJECT).orElseThrow();
        EndpointDefaults d = p.defaults();
        cp.store().projects().put(new Project(p.projectId(), p.uid(), p.createTime(), p.updateTime(), p.deleteTime(), p.purgeTime(),
                p.displayName(), p.pgVersion(), p.historyRetentionSeconds(),
                new EndpointDefaults(d.minCu(), d.maxCu(), d.suspendTimeoutSeconds(), d.noSuspension(), legacy),
                p.defaultBranchId(), p.budgetPolicyId(), p.customTags(), p.enablePgNativeLogin(), p.owner()));
        Endpoint e = cp.store().endpoints().get(PRIMARY).orElseThrow();
        cp.store().endpoints().put(new Endpoint(e.projectId(), e.branchId(), e.endpointId(), e.uid(), e.createTime(), e.updateTime(),
                e.endpointType(), e.state(), e.pendingState(), e.minCu(), e.maxCu(), e.suspendTimeoutSeconds(), e.noSuspension(),
                e.disabled(), Map.of("recovery_end_command", "touch " + marker + "endpoint_recovery_end_command"), e.groupMin(),
                e.groupMax(), e.enableReadableSecondaries(), e.lastActiveTime()));
        cp.computes().restart(cp.store().projects().get(PROJECT).orElseThrow(), cp.store().branches().get(PROD).orElseThrow(),
                cp.store().endpoints().get(PRIMARY).orElseThrow());

        assertThat(Sql.column(t, PRIMARY, "postgres", "SHOW recovery_end_command")).containsExactly("");
        assertThat(Sql.column(t, PRIMARY, "postgres", "SHOW archive_cleanup_command")).containsExactly("");
        assertThat(Sql.column(t, PRIMARY, "postgres", "SHOW shared_preload_libraries")).containsExactly("pg_prewarm"); // Oxbow's own only
        assertThat(Sql.column(t, PRIMARY, "postgres", "SHOW lock_timeout")).containsExactly("7s"); // allowed keys still apply

        Instant past;
        try (Connection c = Sql.connect(t, PRIMARY, "databricks_postgres"); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE kept (id int)");
            st.execute("INSERT INTO kept VALUES (1)");
            past = Instant.now();
            st.execute("INSERT INTO kept VALUES (2)");
        }
        var branch = call("POST", API + PROJECT + "/branches?branch_id=from-past", "{\"spec\":{\"source_branch\":\"" + PROD
                + "\",\"source_branch_time\":\"" + past + "\",\"no_expiry\":true}}");
        assertThat(branch.statusCode()).as(branch.body()).isEqualTo(200);
        JsonNode op = t.awaitOperation(JSON.readTree(branch.body()).path("name").asText(), Duration.ofSeconds(180));
        assertThat(op.has("error")).as(op.toString()).isFalse();
        cp.computes().ensureRunning(cp.store().projects().get(PROJECT).orElseThrow(),
                cp.store().branches().get(PROJECT + "/branches/from-past").orElseThrow());
        assertThat(Sql.column(t, PROJECT + "/branches/from-past/endpoints/primary", "databricks_postgres", "SELECT id FROM kept"))
                .containsExactly("1");
        assertThat(markerFiles()).as("no command from pg_settings ran").isEmpty();
    }

    private static HttpResponse<String> call(String method, String path, String body) throws Exception {
        return t.http(method, path, body, mallory);
    }

    private static void refused(HttpResponse<String> r, String key) throws Exception {
        assertThat(r.statusCode()).as(key + ": " + r.body()).isEqualTo(400);
        JsonNode error = JSON.readTree(r.body());
        assertThat(error.path("error_code").asText()).as(r.body()).isEqualTo("INVALID_PARAMETER_VALUE");
        assertThat(error.path("message").asText()).as(r.body()).containsIgnoringCase("'" + key + "'");
    }

    /** The resource's status as the owner sees it, without times that move. */
    private static String status(String name) throws Exception {
        var r = call("GET", API + name, null);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        ObjectNode status = (ObjectNode) JSON.readTree(r.body()).path("status");
        status.remove(List.of("last_active_time", "compute_last_active_time", "synthetic_storage_size_bytes", "logical_size_bytes"));
        return status.toString();
    }

    private static List<Path> markerFiles() throws Exception {
        try (Stream<Path> files = Files.list(markers)) {
            return files.toList();
        }
    }
}
