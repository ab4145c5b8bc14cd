package dev.oxbow.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.oxbow.controlplane.resource.Defaults;
import dev.oxbow.server.OxbowServer;

import java.nio.file.Path;
import java.util.Map;

/**
 * The primary endpoint of a bench's project {@code bench}, made through the API: its name, uid and host names, a login
 * token for it, and the compute's socket directory (the peer every door is measured against).
 */
record BenchEndpoint(String name, String uid, String host, String pooledHost, String token, Path socketDir) {
    static final String NAME = "projects/bench/branches/production/endpoints/primary";

    /** Creates the project, pins its primary at {@code pinnedCu} (null: the default autoscaling range) and issues a token. */
    static BenchEndpoint create(OxbowServer server, BenchApi api, Double pinnedCu) throws Exception {
        api.await("POST", "/api/2.0/postgres/projects?project_id=bench", "{}");
        if (pinnedCu != null) {
            api.await("PATCH", "/api/2.0/postgres/" + NAME + "?update_mask=spec.autoscaling_limit_min_cu,spec.autoscaling_limit_max_cu",
                    "{\"spec\":{\"autoscaling_limit_min_cu\":" + pinnedCu + ",\"autoscaling_limit_max_cu\":" + pinnedCu + "}}");
        }
        return existing(server, api);
    }

    /** The endpoint of a project {@code bench} made earlier (a bench's kept home), with a new token. */
    static BenchEndpoint existing(OxbowServer server, BenchApi api) throws Exception {
        JsonNode ep = api.json("GET", "/api/2.0/postgres/" + NAME, null);
        String token = api.json("POST", "/api/2.0/postgres/credentials", "{\"endpoint\":\"" + NAME + "\"}").path("token").asText();
        var cp = server.controlPlane();
        Path socketDir = cp.config().layout().socketDir(cp.store().endpoints().get(NAME).orElseThrow());
        JsonNode hosts = ep.path("status").path("hosts");
        return new BenchEndpoint(NAME, ep.path("uid").asText(), hosts.path("host").asText(), hosts.path("read_write_pooled_host").asText(),
                token, socketDir);
    }

    /** pgbench's tables at scale 10, made on the compute's socket. */
    void pgbenchInit() throws Exception {
        BenchApi.run(Map.of(), "pgbench", "-i", "-q", "-s", "10", "-h", socketDir.toString(), "-U", Defaults.SYSTEM_ROLE, "databricks_postgres");
    }
}
