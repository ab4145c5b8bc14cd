package dev.oxbow.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.oxbow.server.OxbowServer;
import dev.oxbow.server.ServerConfig;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Control-plane figures in one run: project create → primary ACTIVE (median, p95) and API GET latency
 * (median, p99). Usage: {@code ControlPlaneBench [projects] [gets]}.
 */
public final class ControlPlaneBench {
    public static void main(String[] args) throws Exception {
        int projects = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        int gets = args.length > 1 ? Integer.parseInt(args[1]) : 2000;
        Path home = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "oxbow-bench-");
        Path pg = Path.of(System.getProperty("java.io.tmpdir"), "oxbow-test-pg");
        try (OxbowServer server = OxbowServer.start(ServerConfig.defaults(home).withApiPort(0).withPg("127.0.0.1", 0).withPgBinaries(pg))) {
            BenchApi api = new BenchApi(server.baseUrl(), server.adminToken());
            // warm-up: one project, so binaries are unpacked and the JIT has seen the paths
            createAndWait(api, "warmup");

            List<Double> createMs = new ArrayList<>();
            for (int i = 0; i < projects; i++) {
                long t0 = System.nanoTime();
                createAndWait(api, "bench-" + i);
                createMs.add((System.nanoTime() - t0) / 1e6);
            }
            List<Double> getMs = new ArrayList<>();
            for (int i = 0; i < gets; i++) {
                String path = i % 2 == 0 ? "/api/2.0/postgres/projects/bench-0" : "/api/2.0/postgres/projects/bench-0/branches/production/endpoints/primary";
                long t0 = System.nanoTime();
                HttpResponse<String> r = api.send("GET", path, null);
                if (r.statusCode() != 200) {
                    throw new IllegalStateException("GET " + path + " -> " + r.statusCode());
                }
                getMs.add((System.nanoTime() - t0) / 1e6);
            }
            System.out.printf("project create -> primary ACTIVE: n=%d median=%.0f ms p95=%.0f ms%n", projects,
                    pct(createMs, 50), pct(createMs, 95));
            System.out.printf("API GET latency: n=%d median=%.2f ms p99=%.2f ms%n", gets, pct(getMs, 50), pct(getMs, 99));
        }
    }

    private static void createAndWait(BenchApi api, String id) throws Exception {
        api.await("POST", "/api/2.0/postgres/projects?project_id=" + id, "{}");
        JsonNode ep = api.json("GET", "/api/2.0/postgres/projects/" + id + "/branches/production/endpoints/primary", null);
        if (!"ACTIVE".equals(ep.path("status").path("current_state").asText())) {
            throw new IllegalStateException("primary of " + id + " is not ACTIVE: " + ep);
        }
    }

    static double pct(List<Double> values, double p) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int idx = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(idx, sorted.size() - 1)));
    }
}
