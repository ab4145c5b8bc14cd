package dev.oxbow.bench;

import dev.oxbow.controlplane.resource.Defaults;
import dev.oxbow.server.OxbowServer;
import dev.oxbow.server.ServerConfig;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Branch create alone (issue 24): {@code creates} branches of a project's primary back to back, each API call →
 * operation done (READY, endpoint ACTIVE), first of the empty database, then again after loading {@code parent-MB}
 * megabytes into it (0: skipped). The server's home is under {@code java.io.tmpdir}: point it at a reflink mount
 * ({@code -Djava.io.tmpdir=/var/tmp/oxbow-cow}) for the copy-on-write figures.
 * Usage: {@code BranchCreateBench [creates] [parent-MB]}.
 */
public final class BranchCreateBench {
    public static void main(String[] args) throws Exception {
        int creates = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        int parentMb = args.length > 1 ? Integer.parseInt(args[1]) : 0;
        Path home = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "oxbow-branchbench-");
        Path pg = Path.of("/tmp", "oxbow-test-pg");
        try (OxbowServer server = OxbowServer.start(ServerConfig.defaults(home).withApiPort(0).withPg("127.0.0.1", 0).withPgBinaries(pg))) {
            BenchApi api = new BenchApi(server.baseUrl(), server.adminToken());
            api.await("POST", "/api/2.0/postgres/projects?project_id=bb", "{}");
            api.await("POST", "/api/2.0/postgres/projects/bb/branches?branch_id=warm", spec());
            report("empty db", creates(api, "e", creates));
            if (parentMb > 0) {
                var cp = server.controlPlane();
                var record = cp.store().endpoints().get("projects/bb/branches/production/endpoints/primary").orElseThrow();
                Path socketDir = cp.config().layout().socketDir(record);
                // pgbench's accounts: ~15 MB per scale unit with its keys
                int scale = Math.max(1, parentMb / 15);
                BenchApi.run(Map.of(), "pgbench", "-i", "-q", "-s", Integer.toString(scale), "-h", socketDir.toString(), "-U",
                        Defaults.SYSTEM_ROLE, "databricks_postgres");
                BenchApi.run(Map.of(), "psql", "-h", socketDir.toString(), "-U", Defaults.SYSTEM_ROLE, "-d", "databricks_postgres", "-c", "CHECKPOINT");
                String size = BenchApi.run(Map.of(), "psql", "-At", "-h", socketDir.toString(), "-U", Defaults.SYSTEM_ROLE, "-d", "databricks_postgres",
                        "-c", "SELECT pg_size_pretty(sum(pg_database_size(oid))) FROM pg_database").strip();
                report("parent of " + size, creates(api, "l", creates));
            }
        } finally {
            new dev.oxbow.storage.BranchCloner().delete(home); // the bench's own home, data directories included
        }
    }

    private static List<Double> creates(BenchApi api, String prefix, int n) throws Exception {
        List<Double> ms = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            api.await("POST", "/api/2.0/postgres/projects/bb/branches?branch_id=" + prefix + "-" + i, spec());
            ms.add((System.nanoTime() - t0) / 1e6);
        }
        return ms;
    }

    private static void report(String what, List<Double> ms) {
        List<Double> sorted = new ArrayList<>(ms);
        sorted.sort(null);
        System.out.printf("branch create -> READY, endpoint ACTIVE (%s), n=%d: p50 %.0f ms, min %.0f, max %.0f; each %s%n", what, ms.size(),
                sorted.get(sorted.size() / 2), sorted.getFirst(), sorted.getLast(), ms.stream().map(d -> String.format("%.0f", d)).toList());
    }

    private static String spec() {
        return "{\"spec\":{\"source_branch\":\"projects/bb/branches/production\",\"no_expiry\":true}}";
    }
}
