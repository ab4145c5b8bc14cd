package dev.oxbow.bench;

import dev.oxbow.compute.HugePages;
import dev.oxbow.compute.PgConnections;
import dev.oxbow.controlplane.ControlPlane;
import dev.oxbow.controlplane.resource.Defaults;
import dev.oxbow.server.OxbowServer;
import dev.oxbow.server.ServerConfig;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The wake (IDLE → the server accepts connections, server side) of the default endpoint (4 CU max) with huge pages
 * available and with every available one held by another process ({@link PoolHolder}), the two interleaved wake by wake so both see the same load; first on the database
 * as it is, then after {@code pgbench -i -s <scale>} (130: ~2 GB) unless it has the pgbench tables already. Each
 * wake's {@code huge_pages_status} is read after it, so a figure counts only wakes that really had (or lacked) huge
 * pages; beside the wall-clock figures, which a loaded machine makes noisy, the page faults and CPU time of the new
 * server's processes (postmaster, its live children, the exited startup process), which load does not change.
 * Usage: {@code WakeBench [wakes] [pgbench-scale] [home]}; a {@code home} given is kept, and a second run on it reuses
 * its database (delete it afterwards: on plain-copy storage its snapshots grow by a full copy of the database each). As root: it reserves scripts/setup's default pool if vm.nr_hugepages is smaller, and puts the value
 * found back at the end; needs python3 (the holder).
 */
public final class WakeBench {
    private static final Path NR_HUGEPAGES = Path.of("/proc/sys/vm/nr_hugepages");
    /** What scripts/setup reserves by default: 4 computes of the default size. */
    private static final long SETUP_DEFAULT_PAGES = 356;
    /** USER_HZ: /proc/<pid>/stat counts CPU time in these ticks. */
    private static final double MS_PER_TICK = 10;

    public static void main(String[] args) throws Exception {
        int wakes = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        int scale = args.length > 1 ? Integer.parseInt(args[1]) : 130;
        Path home = args.length > 2 ? Path.of(args[2])
                : Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "oxbow-wakebench-");
        if (!Files.isWritable(NR_HUGEPAGES)) {
            System.out.println("vm.nr_hugepages is not writable here (run as root): nothing to compare");
            return;
        }
        long saved = Long.parseLong(sysctl(NR_HUGEPAGES));
        long reserved = Math.max(saved, SETUP_DEFAULT_PAGES);
        Files.writeString(NR_HUGEPAGES, Long.toString(reserved)); // as scripts/setup would; put back at the end
        Runtime.getRuntime().addShutdownHook(new Thread(() -> { // also when interrupted (Ctrl-C)
            try {
                Files.writeString(NR_HUGEPAGES, Long.toString(saved));
            } catch (IOException e) {
                System.err.println("vm.nr_hugepages not put back to " + saved + ": " + e);
            }
        }));
        Path made = home.resolve("wakebench-project-made");
        boolean reused = Files.exists(made);
        Path pg = Path.of(System.getProperty("java.io.tmpdir"), "oxbow-test-pg");
        try (OxbowServer server = OxbowServer.start(ServerConfig.defaults(home).withApiPort(0).withPg("127.0.0.1", 0).withPgBinaries(pg))) {
            BenchApi api = new BenchApi(server.baseUrl(), server.adminToken());
            BenchEndpoint ep = reused ? BenchEndpoint.existing(server, api) : BenchEndpoint.create(server, api, null);
            Files.writeString(made, "");
            ControlPlane cp = server.controlPlane();
            System.out.printf("home %s (%s); vm.nr_hugepages was %d, now %d; %s%n", home,
                    reused ? "reused" : "new", saved, reserved, HugePages.read().orElseThrow());
            compare(cp, ep, wakes);
            if (sql(ep, "SELECT to_regclass('public.pgbench_accounts') IS NULL").equals("t")) {
                long t0 = System.nanoTime();
                // server-side generation, no vacuum: the size is what counts here, not the statistics
                BenchApi.run(Map.of(), "pgbench", "-i", "-q", "-I", "dtGp", "-s", Integer.toString(scale), "-h", ep.socketDir().toString(),
                        "-U", Defaults.SYSTEM_ROLE, "databricks_postgres");
                System.out.printf("pgbench -i -s %d in %.0f s%n", scale, (System.nanoTime() - t0) / 1e9);
                sql(ep, "CHECKPOINT");
                compare(cp, ep, wakes);
            }
        }
    }

    /** The figures of one wake. */
    private record Wake(double ms, boolean hugePages, long faults, double cpuMs) { }

    private static void compare(ControlPlane cp, BenchEndpoint ep, int wakes) throws Exception {
        String size = sql(ep, "SELECT pg_size_pretty(pg_database_size('databricks_postgres'))");
        String loadBefore = load();
        List<Wake> with = new ArrayList<>();
        List<Wake> without = new ArrayList<>();
        Path dataDir = dataDir(cp);
        // a wake not counted: the first touch of pages the pool just got, and of the database's files, is not a wake's
        QuickBench.suspend(cp, BenchEndpoint.NAME);
        cp.activity().acquire(ep.uid()).get(60, TimeUnit.SECONDS);
        cp.activity().release(ep.uid());
        for (int i = 0; i < 2 * wakes; i++) {
            boolean pool = i % 2 == 0;
            QuickBench.suspend(cp, BenchEndpoint.NAME);
            if (pool) {
                roomForOne();
            }
            PoolHolder holder = pool ? null : PoolHolder.holdAll();
            long t0 = System.nanoTime();
            cp.activity().acquire(ep.uid()).get(60, TimeUnit.SECONDS);
            double ms = (System.nanoTime() - t0) / 1e6;
            try {
                if (holder != null) {
                    holder.close();
                }
                double[] usage = usage(Long.parseLong(Files.readAllLines(dataDir.resolve("postmaster.pid")).get(0).strip()));
                boolean on = "on".equals(sql(ep, "SHOW huge_pages_status"));
                (pool ? with : without).add(new Wake(ms, on, (long) usage[0], usage[1]));
            } finally {
                cp.activity().release(ep.uid());
            }
        }
        System.out.printf("database %s, load average %s -> %s:%n", size, loadBefore, load());
        print("with huge pages", with);
        print("without (4 kB pages)", without);
        System.out.printf("  ratio with / without: wake p50 %.2f, page faults %.2f, CPU %.2f%n",
                p50(with, Wake::ms) / p50(without, Wake::ms), p50(with, w -> w.faults()) / p50(without, w -> w.faults()),
                p50(with, Wake::cpuMs) / p50(without, Wake::cpuMs));
    }

    private static void print(String what, List<Wake> wakes) {
        System.out.printf("  %-22s wake p50 %4.0f ms  p99 %4.0f ms | page faults p50 %6.0f | CPU p50 %3.0f ms | n=%d, %d mapped huge pages%n",
                what, p50(wakes, Wake::ms), ControlPlaneBench.pct(wakes.stream().map(Wake::ms).toList(), 99),
                p50(wakes, w -> w.faults()), p50(wakes, Wake::cpuMs), wakes.size(), wakes.stream().filter(Wake::hugePages).count());
    }

    private static double p50(List<Wake> wakes, java.util.function.ToDoubleFunction<Wake> f) {
        return ControlPlaneBench.pct(wakes.stream().map(w -> f.applyAsDouble(w)).toList(), 50);
    }

    /**
     * Minor page faults and CPU time (ms) of a postmaster: its own, its reaped children's (the startup process) and its
     * live children's (checkpointer, walwriter, …), read from /proc just after the start. Live processes' CPU comes from
     * schedstat (nanoseconds: stat's 10 ms ticks would round a dozen small processes away), reaped ones' from stat.
     */
    private static double[] usage(long postmaster) throws IOException {
        double[] sum = new double[2];
        add(sum, postmaster, true);
        String children = Files.readString(Path.of("/proc", Long.toString(postmaster), "task", Long.toString(postmaster), "children")).strip();
        for (String child : children.isEmpty() ? new String[0] : children.split(" ")) {
            try {
                add(sum, Long.parseLong(child), false);
            } catch (IOException gone) {
                // exited meanwhile: counted in the postmaster's reaped children once it is waited for
            }
        }
        return sum;
    }

    private static void add(double[] sum, long pid, boolean withReaped) throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" "); // f[0] is field 3 (state)
        sum[0] += Long.parseLong(f[7]) + (withReaped ? Long.parseLong(f[8]) : 0); // minflt, cminflt
        sum[1] += Long.parseLong(Files.readString(Path.of("/proc", Long.toString(pid), "schedstat")).split(" ")[0]) / 1e6
                + (withReaped ? (Long.parseLong(f[13]) + Long.parseLong(f[14])) * MS_PER_TICK : 0); // cutime, cstime
    }

    private static Path dataDir(ControlPlane cp) {
        var ep = cp.store().endpoints().get(BenchEndpoint.NAME).orElseThrow();
        var branch = cp.store().branches().get(ep.parentName()).orElseThrow();
        var project = cp.store().projects().get(dev.oxbow.metadata.Project.nameOf(ep.projectId())).orElseThrow();
        return cp.config().layout().dataDir(project, branch, ep);
    }

    /**
     * The machine is shared: other computes (other tests, other benches) may hold most of the pool, so before a "with"
     * wake the pool grows (never shrinks; put back at the end) until this compute's 89 pages (4 CU) and a margin fit.
     */
    private static void roomForOne() throws IOException {
        HugePages now = HugePages.read().orElseThrow();
        long needed = now.pagesFor(HugePages.DEFAULT_COMPUTE_SHARED_MEMORY_BYTES) + 32;
        if (now.available() < needed) {
            Files.writeString(NR_HUGEPAGES, Long.toString(Long.parseLong(sysctl(NR_HUGEPAGES)) + needed - now.available()));
        }
    }

    /**
     * Holds every huge page still available (mapped, not touched: promised to it) for a "without" wake, so the pool
     * itself stays as it is. Emptying and refilling the pool instead hands the next wake pages the machine never used,
     * whose first touch costs more (on this VM the "with" wakes then took more CPU than the "without" ones).
     */
    private record PoolHolder(Process process) implements AutoCloseable {
        private static final String SCRIPT = "import mmap, sys\n"
                + "held = []\n"
                + "while True:\n"
                + "    try: held.append(mmap.mmap(-1, 2 << 20, flags=mmap.MAP_SHARED | getattr(mmap, 'MAP_HUGETLB', 0x40000)))\n"
                + "    except OSError: break\n"
                + "print(len(held), flush=True)\n"
                + "sys.stdin.read()\n";

        static PoolHolder holdAll() throws IOException {
            Process p = new ProcessBuilder("python3", "-c", SCRIPT).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            new String(p.getInputStream().readNBytes(1)); // the count's first digit: every page is held
            return new PoolHolder(p);
        }

        @Override
        public void close() throws IOException {
            process.getOutputStream().close();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** A sysctl's value: read in one call, since /proc/sys answers a read past the first byte with end-of-file. */
    private static String sysctl(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return new String(in.readNBytes(256), StandardCharsets.US_ASCII).strip();
        }
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
        return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
    }
}
