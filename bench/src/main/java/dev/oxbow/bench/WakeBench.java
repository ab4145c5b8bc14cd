package dev.oxbow.bench;

import dev.oxbow.compute.HugePages;
import dev.oxbow.compute.PgConnections;
import dev.oxbow.controlplane.ControlPlane;
import dev.oxbow.controlplane.resource.Defaults;
import dev.oxbow.server.OxbowServer;
import dev.oxbow.server.ServerConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The wake (IDLE → the server accepts connections, server side) of the default endpoint (4 CU max) with the huge-page
 * pool reserved and with it emptied, the two interleaved wake by wake so both see the same load; first on an empty
 * database, then after {@code pgbench -i -s <scale>} (130: ~2 GB). Each wake's {@code huge_pages_status} is read
 * after it, so a figure counts only wakes that really had (or lacked) huge pages.
 * Usage: {@code WakeBench [wakes] [pgbench-scale]}; as root (it sets vm.nr_hugepages, and puts the value back).
 */
public final class WakeBench {
    private static final Path NR_HUGEPAGES = Path.of("/proc/sys/vm/nr_hugepages");
    /** What scripts/setup reserves by default: 4 computes of the default size. */
    private static final long SETUP_DEFAULT_PAGES = 356;

    public static void main(String[] args) throws Exception {
        int wakes = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        int scale = args.length > 1 ? Integer.parseInt(args[1]) : 130;
        long saved = Long.parseLong(Files.readString(NR_HUGEPAGES).strip());
        long reserved = saved > 0 ? saved : SETUP_DEFAULT_PAGES;
        if (!Files.isWritable(NR_HUGEPAGES)) {
            System.out.println("vm.nr_hugepages is not writable here (run as root): nothing to compare");
            return;
        }
        Path home = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "oxbow-wakebench-");
        Path pg = Path.of(System.getProperty("java.io.tmpdir"), "oxbow-test-pg");
        try (OxbowServer server = OxbowServer.start(ServerConfig.defaults(home).withApiPort(0).withPg("127.0.0.1", 0).withPgBinaries(pg))) {
            BenchApi api = new BenchApi(server.baseUrl(), server.adminToken());
            BenchEndpoint ep = BenchEndpoint.create(server, api, null);
            ControlPlane cp = server.controlPlane();
            System.out.printf("huge-page pool: %d pages reserved (vm.nr_hugepages was %d), %s%n", reserved, saved, HugePages.read().orElseThrow());
            compare(cp, ep, wakes, reserved, "empty database");
            long t0 = System.nanoTime();
            // server-side generation, no vacuum: the size is what counts here, not the statistics
            BenchApi.run(Map.of(), "pgbench", "-i", "-q", "-I", "dtGp", "-s", Integer.toString(scale), "-h", ep.socketDir().toString(),
                    "-U", Defaults.SYSTEM_ROLE, "databricks_postgres");
            String size = sql(ep, "SELECT pg_size_pretty(pg_database_size('databricks_postgres'))");
            System.out.printf("pgbench -i -s %d: %s in %.0f s%n", scale, size, (System.nanoTime() - t0) / 1e9);
            sql(ep, "CHECKPOINT");
            compare(cp, ep, wakes, reserved, size + " database");
        } finally {
            Files.writeString(NR_HUGEPAGES, Long.toString(saved));
        }
    }

    private static void compare(ControlPlane cp, BenchEndpoint ep, int wakes, long reserved, String what) throws Exception {
        String loadBefore = load();
        List<Double> with = new ArrayList<>();
        List<Double> without = new ArrayList<>();
        int withOn = 0;
        int withoutOn = 0;
        for (int i = 0; i < 2 * wakes; i++) {
            boolean pool = i % 2 == 0;
            Files.writeString(NR_HUGEPAGES, pool ? Long.toString(reserved) : "0");
            QuickBench.suspend(cp, BenchEndpoint.NAME);
            long t0 = System.nanoTime();
            cp.activity().acquire(ep.uid()).get(60, TimeUnit.SECONDS);
            double ms = (System.nanoTime() - t0) / 1e6;
            try {
                boolean on = "on".equals(sql(ep, "SHOW huge_pages_status"));
                (pool ? with : without).add(ms);
                withOn += pool && on ? 1 : 0;
                withoutOn += !pool && on ? 1 : 0;
            } finally {
                cp.activity().release(ep.uid());
            }
        }
        Files.writeString(NR_HUGEPAGES, Long.toString(reserved));
        double p50With = ControlPlaneBench.pct(with, 50);
        double p50Without = ControlPlaneBench.pct(without, 50);
        System.out.printf("%s, load average %s -> %s:%n", what, loadBefore, load());
        System.out.printf("  wake with huge pages    p50 %4.0f ms  p99 %4.0f ms  (n=%d, %d of them mapped huge pages)%n",
                p50With, ControlPlaneBench.pct(with, 99), with.size(), withOn);
        System.out.printf("  wake without (4 kB)     p50 %4.0f ms  p99 %4.0f ms  (n=%d, %d of them mapped huge pages)%n",
                p50Without, ControlPlaneBench.pct(without, 99), without.size(), withoutOn);
        System.out.printf("  ratio with / without    p50 %.2f%n", p50With / p50Without);
    }

    private static String sql(BenchEndpoint ep, String query) throws Exception {
        try (Connection c = PgConnections.openForOxbow(ep.socketDir(), "databricks_postgres", Defaults.SYSTEM_ROLE);
             var st = c.createStatement()) {
            if (!st.execute(query)) {
                return "";
            }
            try (ResultSet rs = st.getResultSet()) {
                rs.next();
                return rs.getString(1);
            }
        }
    }

    private static String load() throws IOException {
        String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
        return f[0];
    }
}
