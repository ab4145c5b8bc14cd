package dev.oxbow.bench;

import dev.oxbow.compute.PgConnections;
import dev.oxbow.controlplane.resource.Defaults;
import dev.oxbow.server.OxbowServer;
import dev.oxbow.server.ServerConfig;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;

/**
 * Autoscaling and replica figures in one run (needs cgroups, i.e. root): pgbench TPS with the compute
 * pinned at its min and at its max CU, time to scale min → max under load and back after it, and replica
 * lag under a write load. Usage: {@code ScaleBench [seconds]}.
 */
public final class ScaleBench {
    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        Path home = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "oxbow-scalebench-");
        Path pg = Path.of(System.getProperty("java.io.tmpdir"), "oxbow-test-pg");
        try (OxbowServer server = OxbowServer.start(ServerConfig.defaults(home).withApiPort(0).withPg("127.0.0.1", 0).withPgBinaries(pg))) {
            var cp = server.controlPlane();
            if (!cp.computes().runtime().resourceControl().startsWith("cgroup")) {
                System.out.println("autoscaling: skipped (cgroups unavailable: run as root)");
                return;
            }
            BenchApi api = new BenchApi(server.baseUrl(), server.adminToken());
            api.await("POST", "/api/2.0/postgres/projects?project_id=scale",
                    "{\"spec\":{\"default_endpoint_settings\":{\"autoscaling_limit_min_cu\":0.5,\"autoscaling_limit_max_cu\":8}}}");
            String ep = "projects/scale/branches/production/endpoints/primary";
            var record = cp.store().endpoints().get(ep).orElseThrow();
            String socket = cp.config().layout().socketDir(record).toString();
            BenchApi.run(java.util.Map.of(), "pgbench", "-i", "-q", "-s", "10", "-h", socket, "-U", Defaults.SYSTEM_ROLE, "databricks_postgres");

            double tpsMin = pinned(api, ep, 0.5, socket, seconds);
            double tpsMax = pinned(api, ep, 8, socket, seconds);

            // back to the 0.5-8 range, then time the autoscaler under load and after it
            api.await("PATCH", "/api/2.0/postgres/" + ep + "?update_mask=spec.autoscaling_limit_min_cu,spec.autoscaling_limit_max_cu",
                    "{\"spec\":{\"autoscaling_limit_min_cu\":0.5,\"autoscaling_limit_max_cu\":8}}");
            var endpoint = cp.store().endpoints().get(ep).orElseThrow();
            Process load = new ProcessBuilder("pgbench", "-S", "-n", "-c", "8", "-j", "2", "-T", "60", "-h", socket, "-U", Defaults.SYSTEM_ROLE,
                    "databricks_postgres").redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectErrorStream(true).start();
            long t0 = System.nanoTime();
            while (cp.computes().currentCu(endpoint) < 8 && System.nanoTime() - t0 < 60e9) {
                Thread.sleep(50);
            }
            double upS = (System.nanoTime() - t0) / 1e9;
            load.destroy();
            load.waitFor();
            long t1 = System.nanoTime();
            while (cp.computes().currentCu(endpoint) > 0.5 && System.nanoTime() - t1 < 600e9) {
                Thread.sleep(100);
            }
            double downS = (System.nanoTime() - t1) / 1e9;

            api.await("POST", "/api/2.0/postgres/projects/scale/branches/production/endpoints?endpoint_id=replica",
                    "{\"spec\":{\"endpoint_type\":\"ENDPOINT_TYPE_READ_ONLY\"}}");
            Process writes = new ProcessBuilder("pgbench", "-N", "-n", "-c", "4", "-j", "2", "-T", Integer.toString(seconds), "-h", socket,
                    "-U", Defaults.SYSTEM_ROLE, "databricks_postgres").redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectErrorStream(true).start();
            List<Double> lagMs = new ArrayList<>();
            List<Double> lagBytes = new ArrayList<>();
            try (Connection c = PgConnections.open(Path.of(socket), "postgres", Defaults.SYSTEM_ROLE)) {
                while (writes.isAlive()) {
                    try (ResultSet rs = c.createStatement().executeQuery(
                            "SELECT coalesce(extract(epoch FROM replay_lag) * 1000, 0), pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn) FROM pg_stat_replication")) {
                        if (rs.next()) {
                            lagMs.add(rs.getDouble(1));
                            lagBytes.add(rs.getDouble(2));
                        }
                    }
                    Thread.sleep(200);
                }
            }
            System.out.printf("pgbench -S -c 8 at fixed 0.5 CU: %.0f tps; at fixed 8 CU: %.0f tps (ratio %.1f)%n", tpsMin, tpsMax, tpsMax / tpsMin);
            System.out.printf("autoscaler under pgbench -S -c 8: 0.5 -> 8 CU in %.1f s; back to 0.5 CU %.0f s after the load stopped%n", upS, downS);
            System.out.printf("replica lag under pgbench -N -c 4 (%d s, n=%d samples): replay_lag median %.1f ms max %.1f ms; bytes median %.0f max %.0f%n",
                    seconds, lagMs.size(), ControlPlaneBench.pct(lagMs, 50), ControlPlaneBench.pct(lagMs, 100),
                    ControlPlaneBench.pct(lagBytes, 50), ControlPlaneBench.pct(lagBytes, 100));
        }
    }

    private static double pinned(BenchApi api, String ep, double cu, String socket, int seconds) throws Exception {
        api.await("PATCH", "/api/2.0/postgres/" + ep + "?update_mask=spec.autoscaling_limit_min_cu,spec.autoscaling_limit_max_cu",
                "{\"spec\":{\"autoscaling_limit_min_cu\":" + cu + ",\"autoscaling_limit_max_cu\":" + cu + "}}");
        String out = BenchApi.run(java.util.Map.of(), "pgbench", "-S", "-n", "-c", "8", "-j", "2", "-T", Integer.toString(seconds), "-h", socket,
                "-U", Defaults.SYSTEM_ROLE, "databricks_postgres");
        return BenchApi.tps(out);
    }
}
