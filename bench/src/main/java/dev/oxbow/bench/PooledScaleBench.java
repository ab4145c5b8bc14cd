package dev.oxbow.bench;

import dev.oxbow.compute.PoolerBinary;
import dev.oxbow.server.OxbowServer;
import dev.oxbow.server.ServerConfig;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Many clients through one pooled host (issue 18 (c)): {@code clients} pgbench clients (TLS, token) on
 * {@code <uid>-pooler} of a compute pinned at 0.5 CU. First they connect and stay idle, to measure what the server's
 * process (the proxy; the control plane beside it is idle) holds per idle client connection: heap after a full GC,
 * Netty's direct memory, and resident memory; then each runs {@code SELECT 1} in a loop for {@code seconds}: all
 * served, none refused, latency percentiles from pgbench's per-transaction log. Usage:
 * {@code PooledScaleBench [clients] [seconds]} (bench/run --pooled-scale raises the descriptor limit first).
 */
public final class PooledScaleBench {
    private static final String USER = "admin@oxbow.local";

    public static void main(String[] args) throws Exception {
        int clients = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 30;
        if (PoolerBinary.find().isEmpty()) {
            System.out.println("pooled scale: skipped, no PgBouncer installed (scripts/setup builds one)");
            return;
        }
        Path home = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "oxbow-pooledscale-");
        Path pg = Path.of(System.getProperty("java.io.tmpdir"), "oxbow-test-pg");
        try (OxbowServer server = OxbowServer.start(ServerConfig.defaults(home).withApiPort(0).withPg("127.0.0.1", 0).withPgBinaries(pg))) {
            BenchApi api = new BenchApi(server.baseUrl(), server.adminToken());
            BenchEndpoint ep = BenchEndpoint.create(server, api, 0.5);
            String pooledHost = ep.pooledHost();
            String cred = ep.token();
            String conn = "host=" + pooledHost + " hostaddr=127.0.0.1 port=" + server.pgPort() + " dbname=databricks_postgres user=" + USER
                    + " sslmode=require";
            Path work = Files.createDirectories(home.resolve("pgbench"));
            Files.writeString(work.resolve("idle.sql"), "\\sleep " + (60 + clients / 200) + " s\n");
            Files.writeString(work.resolve("select.sql"), "SELECT 1;\n");
            int threads = Math.min(16, clients);

            // warm up: one round through the pooled host so TLS, token cache and the pooler are ready
            Process warm = pgbench(work, cred, conn, "-c", "2", "-T", "2", "-f", "select.sql");
            String warmOut = new String(warm.getInputStream().readAllBytes());
            if (warm.waitFor() != 0) {
                throw new IllegalStateException("pgbench through the pooled host failed:\n" + warmOut);
            }
            Memory before = Memory.now();
            Process idle = pgbench(work, cred, conn, "-c", Integer.toString(clients), "-j", Integer.toString(threads), "-t", "1",
                    "-f", "idle.sql");
            long connectStart = System.nanoTime();
            // every idle client holds two descriptors of this process: its TCP connection and the one to its pooler;
            // give up once nothing new connected for 30 s (at the descriptor limit the rest wait in the listen backlog)
            long grown = System.nanoTime();
            long seen = 0;
            while (openDescriptors() < before.descriptors + 2L * clients && idle.isAlive()
                    && System.nanoTime() - grown < TimeUnit.SECONDS.toNanos(30)) {
                long now = openDescriptors();
                if (now > seen) {
                    seen = now;
                    grown = System.nanoTime();
                }
                Thread.sleep(200);
            }
            double connectSeconds = (System.nanoTime() - connectStart) / 1e9;
            Thread.sleep(2000);
            Memory during = Memory.now();
            // counted apart from the descriptors: the clients' TCP connections the proxy holds
            if (!idle.isAlive()) {
                System.out.println("the idle clients' pgbench ended early:\n" + new String(idle.getInputStream().readAllBytes()).lines()
                        .limit(10).reduce("", (a, b) -> a + b + "\n"));
            }
            int connected = (int) established(server.pgPort());
            long[] limit = openFilesLimit();
            System.out.printf("open files of the server's process: soft limit %d, hard limit %d; %d open before the clients, %d with"
                            + " %d clients connected: %.2f descriptors per pooled client, so at most ~%d clients under the hard limit%n",
                    limit[0], limit[1], before.descriptors, during.descriptors, connected,
                    (during.descriptors - before.descriptors) / (double) Math.max(1, connected),
                    connected == 0 ? 0 : (limit[1] - before.descriptors) * connected / (during.descriptors - before.descriptors));
            idle.destroy();
            idle.waitFor();
            System.out.printf("pooled host, %d idle clients connected (of %d) in %.1f s: per idle client connection %.1f KiB heap (after GC)"
                            + " + %.1f KiB Netty direct; resident %.1f KiB (process RSS %.0f -> %.0f MiB)%n",
                    connected, clients, connectSeconds, (during.heap - before.heap) / 1024.0 / connected,
                    (during.direct - before.direct) / 1024.0 / connected, (during.rss - before.rss) / 1024.0 / connected,
                    before.rss / 1048576.0, during.rss / 1048576.0);

            if (connected < clients) {
                System.out.printf("pooled host: only %d of %d clients connected (%d descriptors open, hard limit %d): the loop round is"
                        + " skipped%n", connected, clients, during.descriptors, limit[1]);
                return;
            }
            // pgbench's -T counts from before its clients connect: give the connecting its measured time on top
            int total = seconds + (int) Math.ceil(connectSeconds * 1.5);
            Process load = pgbench(work, cred, conn, "-c", Integer.toString(clients), "-j", Integer.toString(threads), "-T",
                    Integer.toString(total), "-f", "select.sql", "-l", "--sampling-rate=0.05", "--log-prefix=" + work.resolve("tx"));
            String out = new String(load.getInputStream().readAllBytes());
            boolean exited = load.waitFor(seconds + 600L, TimeUnit.SECONDS);
            int exit = exited ? load.exitValue() : -1;
            List<Long> latencies = new ArrayList<>();
            try (var logs = Files.list(work)) {
                for (Path log : logs.filter(p -> p.getFileName().toString().startsWith("tx")).toList()) {
                    for (String line : Files.readAllLines(log)) {
                        String[] f = line.split(" ");
                        if (f.length >= 3 && !f[2].equals("failed") && !f[2].equals("skipped")) {
                            latencies.add(Long.parseLong(f[2]));
                        }
                    }
                }
            }
            java.util.Collections.sort(latencies);
            System.out.printf("pooled host, %d clients x SELECT 1 in a loop (pgbench -T %d, of which connecting ~%.0f s) on 0.5 CU:"
                            + " %s tps (without connection time), %s transactions, exit %d, %s, %s;"
                            + " latency (5%% sample, n=%d) p50 %.0f ms, p99 %.0f ms, max %.0f ms%n",
                    clients, total, connectSeconds, grep(out, "tps = ([0-9.]+)"), grep(out, "actually processed: ([0-9]+)"), exit,
                    grep(out, "number of failed transactions: [^\\n]*"), grep(out, "number of clients: [0-9]+"), latencies.size(),
                    pct(latencies, 50) / 1000.0, pct(latencies, 99) / 1000.0,
                    latencies.isEmpty() ? 0 : latencies.get(latencies.size() - 1) / 1000.0);
            if (exit != 0) {
                System.out.println("pgbench output:\n" + out.lines().filter(l -> !l.startsWith("progress")).limit(40).reduce("", (a, b) -> a + b + "\n"));
            }
        }
    }

    private static Process pgbench(Path work, String cred, String conn, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("pgbench", "-n"));
        command.addAll(List.of(args));
        command.add(conn);
        ProcessBuilder pb = new ProcessBuilder(command).directory(work.toFile()).redirectErrorStream(true);
        pb.environment().put("PGPASSWORD", cred);
        return pb.start();
    }

    private static double pct(List<Long> sorted, int p) {
        return sorted.isEmpty() ? 0 : sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
    }

    private static String grep(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        return m.find() ? (m.groupCount() > 0 ? m.group(1) : m.group()) : "-";
    }

    /** Established TCP connections whose local port is {@code port} (the proxy's side of its clients' connections). */
    private static long established(int port) throws Exception {
        String local = String.format(":%04X ", port);
        long n = 0;
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            Path file = Path.of(table);
            if (Files.exists(file)) {
                // columns: sl local_address rem_address st ...; state 01 is ESTABLISHED
                n += Files.readAllLines(file).stream().skip(1).map(String::trim).map(l -> l.split("\\s+"))
                        .filter(f -> f.length > 3 && (f[1] + " ").endsWith(local) && f[3].equals("01")).count();
            }
        }
        return n;
    }

    /** This process's soft and hard limit on open files. */
    private static long[] openFilesLimit() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
            if (line.startsWith("Max open files")) {
                String[] f = line.substring("Max open files".length()).trim().split("\\s+");
                return new long[]{Long.parseLong(f[0]), Long.parseLong(f[1])};
            }
        }
        return new long[]{-1, -1};
    }

    private static long openDescriptors() throws Exception {
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }

    /** This process's memory: heap in use after a full GC, Netty's direct memory, resident set, open descriptors. */
    private record Memory(long heap, long direct, long rss, long descriptors) {
        static Memory now() throws Exception {
            for (int i = 0; i < 3; i++) {
                System.gc();
            }
            long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
            long direct = io.netty.buffer.PooledByteBufAllocator.DEFAULT.metric().usedDirectMemory();
            long rss = 0;
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    rss = Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
            return new Memory(heap, direct, rss, openDescriptors());
        }
    }
}
