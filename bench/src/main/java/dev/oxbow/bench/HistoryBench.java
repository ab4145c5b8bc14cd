package dev.oxbow.bench;

import dev.oxbow.compute.PgConnections;
import dev.oxbow.controlplane.resource.Defaults;
import dev.oxbow.controlplane.history.HistoryPolicy;
import dev.oxbow.metadata.Branch;
import dev.oxbow.metadata.Endpoint;
import dev.oxbow.metadata.Project;
import dev.oxbow.server.OxbowServer;
import dev.oxbow.server.ServerConfig;
import dev.oxbow.storage.CloneStrategy;
import dev.oxbow.compute.Lsn;
import dev.oxbow.storage.SnapshotStore;
import dev.oxbow.storage.WalArchive;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * Branch-history storage figures in one run: branch creation time for a small and a big database (and
 * their ratio), restore-in-place time with much and with little WAL to replay, and the disk that ten
 * branches of the big database take after each changes 1% of its rows (filesystem-level used bytes).
 * Usage: {@code HistoryBench [big-db-MB] [restore-WAL-MB] [repetitions]} (0 repetitions: the restores alone); the data lives under
 * {@code $OXBOW_HISTORY_DIR}, default {@code /var/tmp/oxbow-cow} when that is a mount point (make it with
 * {@code scripts/cow-storage}), else {@code /tmp}, where branches are plain copies.
 * {@code $OXBOW_HISTORY_PG_SETTINGS} ({@code name=value,...}) gives the projects' computes extra settings,
 * to compare storage-related ones.
 */
public final class HistoryBench {
    private static final String DB = Defaults.DEFAULT_DATABASE;
    /** Heap + primary key bytes per row of {@code items}, measured; sizes the load. */
    private static final long BYTES_PER_ROW = 175;
    private static final int BRANCHES = 10;

    private final OxbowServer server;
    private final BenchApi api;
    private final Path home;

    private HistoryBench(OxbowServer server, Path home) throws IOException {
        this.server = server;
        this.api = new BenchApi(server.baseUrl(), server.adminToken());
        this.home = home;
    }

    public static void main(String[] args) throws Exception {
        int bigMb = args.length > 0 ? Integer.parseInt(args[0]) : 2048;
        int walMb = args.length > 1 ? Integer.parseInt(args[1]) : 500;
        int reps = args.length > 2 ? Integer.parseInt(args[2]) : 5;
        Path root = dataRoot();
        Path home = Files.createTempDirectory(root, "oxbow-historybench-");
        Path pg = Path.of(System.getProperty("java.io.tmpdir"), "oxbow-test-pg");
        FileStore fs = Files.getFileStore(home);
        System.out.printf("history storage: %s on %s (%s), clone strategy %s%n", home, fs.name(), fs.type(), CloneStrategy.detect(home).id());
        // snapshots only when the bench says so: the restore must replay all the WAL it generated
        HistoryPolicy history = new HistoryPolicy(Long.MAX_VALUE / 4, Duration.ofDays(365), Duration.ofHours(1), Duration.ofSeconds(60));
        try (OxbowServer server = OxbowServer.start(ServerConfig.defaults(home).withApiPort(0).withPg("127.0.0.1", 0)
                .withPgBinaries(pg).withHistory(history))) {
            HistoryBench bench = new HistoryBench(server, home);
            bench.run(bigMb, walMb, reps);
        } finally {
            deleteTree(home);
        }
    }

    private static Path dataRoot() throws IOException {
        String configured = System.getenv("OXBOW_HISTORY_DIR");
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured);
        }
        Path cow = Path.of("/var/tmp/oxbow-cow");
        if (Files.isDirectory(cow) && !Files.getFileStore(cow).equals(Files.getFileStore(cow.getParent()))) {
            return cow;
        }
        System.out.println("WARNING: /var/tmp/oxbow-cow is not a mount point (make one with scripts/cow-storage); "
                + "using /tmp, so these figures are for plain copies");
        return Path.of("/tmp");
    }

    private void run(int bigMb, int walMb, int reps) throws Exception {
        if (reps == 0) { // the restores alone (replay rate): HistoryBench [db-MB] [restore-WAL-MB] 0
            load("big", (long) bigMb << 20);
            restores("big", walMb);
            return;
        }
        long smallBytes = load("small", 10L << 20);
        long bigBytes = load("big", (long) bigMb << 20);

        // 1. branch creation: API call -> READY -> a query on the new branch answered
        List<Double> smallMs = createTimes("small", reps);
        List<Double> bigMs = createTimes("big", reps);
        double smallMed = ControlPlaneBench.pct(smallMs, 50);
        double bigMed = ControlPlaneBench.pct(bigMs, 50);
        System.out.printf("branch create -> READY + query, %s database: n=%d median=%.0f ms min=%.0f max=%.0f%n", mb(smallBytes), reps,
                smallMed, ControlPlaneBench.pct(smallMs, 0), ControlPlaneBench.pct(smallMs, 100));
        System.out.printf("branch create -> READY + query, %s database: n=%d median=%.0f ms min=%.0f max=%.0f%n", mb(bigBytes), reps,
                bigMed, ControlPlaneBench.pct(bigMs, 0), ControlPlaneBench.pct(bigMs, 100));
        System.out.printf("branch create ratio big/small: %.2f (target: big under 2000 ms, ratio <= 1.5)%n", bigMed / smallMed);

        // 3. disk taken by ten branches that each change a contiguous 1% of the rows
        diskOfBranches("big", bigBytes);

        // 2. restore in place with little and with ~walMb of WAL since the last snapshot
        restores("big", walMb);
    }

    /** Creates project {@code id} and fills its production branch to about {@code bytes}; returns the databases' size. */
    private long load(String id, long bytes) throws Exception {
        api.await("POST", "/api/2.0/postgres/projects?project_id=" + id, projectSpec());
        long rows = Math.max(1000, bytes / BYTES_PER_ROW);
        long t0 = System.nanoTime();
        try (Connection c = connect(id, "production"); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE items (id bigint NOT NULL, val int NOT NULL, pad text NOT NULL)");
            st.execute("INSERT INTO items SELECT g, 0, repeat(md5(g::text), 3) FROM generate_series(1, " + rows + ") g");
            st.execute("ALTER TABLE items ADD PRIMARY KEY (id)");
            // hint bits and the visibility map are set once here, not by each branch's first reads (which would unshare every page)
            st.execute("VACUUM (FREEZE, ANALYZE) items");
            st.execute("CHECKPOINT");
            long size = longOf(st, "SELECT pg_database_size(current_database())");
            System.out.printf("loaded %s: %d rows, database %s in %.0f s%n", id, rows, mb(size), (System.nanoTime() - t0) / 1e9);
            used(); // the load's dirty pages reach the disk now, not while branches are timed
            return size;
        }
    }

    /** The projects' spec: extra compute settings from {@code $OXBOW_HISTORY_PG_SETTINGS}, if any. */
    private static String projectSpec() {
        String extra = System.getenv("OXBOW_HISTORY_PG_SETTINGS");
        if (extra == null || extra.isBlank()) {
            return "{}";
        }
        StringBuilder json = new StringBuilder("{\"spec\":{\"default_endpoint_settings\":{\"pg_settings\":{");
        String[] pairs = extra.split(",");
        for (int i = 0; i < pairs.length; i++) {
            String[] kv = pairs[i].split("=", 2);
            json.append(i == 0 ? "" : ",").append('"').append(kv[0].strip()).append("\":\"").append(kv[1].strip()).append('"');
        }
        return json.append("}}}}").toString();
    }

    private List<Double> createTimes(String project, int reps) throws Exception {
        List<Double> ms = new ArrayList<>();
        for (int i = -1; i < reps; i++) { // the first one warms up and is not counted
            String id = "time-" + (i + 1);
            long t0 = System.nanoTime();
            createBranch(project, id, "production");
            try (Connection c = PgConnections.open(socket(project, id), DB, Defaults.SYSTEM_ROLE); Statement st = c.createStatement()) {
                longOf(st, "SELECT val FROM items WHERE id = 1");
            }
            double elapsed = (System.nanoTime() - t0) / 1e6;
            if (i >= 0) {
                ms.add(elapsed);
            }
            api.await("DELETE", "/api/2.0/postgres/projects/" + project + "/branches/" + id + "?purge=true", null);
        }
        return ms;
    }

    private void diskOfBranches(String project, long dbBytes) throws Exception {
        long rows;
        try (Connection c = connect(project, "production"); Statement st = c.createStatement()) {
            rows = longOf(st, "SELECT max(id) FROM items");
        }
        long u0 = used();
        for (int i = 0; i < BRANCHES; i++) {
            createBranch(project, "disk-" + i, "production");
        }
        long u1 = used();
        long changedRows = rows / 100;
        long updateWal = 0;
        for (int i = 0; i < BRANCHES; i++) {
            try (Connection c = connect(project, "disk-" + i); Statement st = c.createStatement()) {
                long from = i * changedRows + 1;
                long before = Lsn.parse(stringOf(st, "SELECT pg_current_wal_lsn()::text"));
                st.execute("UPDATE items SET val = val + 1 WHERE id BETWEEN " + from + " AND " + (from + changedRows - 1));
                updateWal += Lsn.parse(stringOf(st, "SELECT pg_current_wal_lsn()::text")) - before;
            }
        }
        long u2 = used();
        for (int i = 0; i < BRANCHES; i++) {
            try (Connection c = connect(project, "disk-" + i); Statement st = c.createStatement()) {
                st.execute("CHECKPOINT");
                WalArchive.flush(c, archiveDir(project, "disk-" + i), Duration.ofSeconds(60));
            }
        }
        long u3 = used();
        long added = u3 - u0;
        System.out.printf("%d branches of a %s database, each updating a contiguous 1%% of rows (%d rows), filesystem used bytes:%n",
                BRANCHES, mb(dbBytes), changedRows);
        System.out.printf("  create %d branches (clone + first snapshot + started compute): +%s%n", BRANCHES, mb(u1 - u0));
        System.out.printf("  the updates (WAL, pages the server wrote meanwhile): +%s; they wrote %s of WAL records%n", mb(u2 - u1), mb(updateWal));
        System.out.printf("  CHECKPOINT + WAL archived on each: +%s%n", mb(u3 - u2));
        System.out.printf("  total added %s = %.2fx one copy; one copy + %d branches = %.2fx one copy (target < 1.3x)%n",
                mb(added), (double) added / dbBytes, BRANCHES, (double) (dbBytes + added) / dbBytes);

        // what takes the space: remove each kind in turn (computes stopped) and see what the filesystem frees
        long apparentSnap = 0;
        long apparentWal = 0;
        long apparentPgWal = 0;
        long apparentData = 0;
        for (int i = 0; i < BRANCHES; i++) {
            Path dir = branchDir(project, "disk-" + i);
            apparentSnap += apparent(dir.resolve(SnapshotStore.DIR));
            apparentWal += apparent(dir.resolve(WalArchive.DIR));
            apparentPgWal += apparent(dir.resolve("pgdata").resolve("pg_wal"));
            apparentData += apparent(dir.resolve("pgdata")) - apparent(dir.resolve("pgdata").resolve("pg_wal"));
        }
        for (int i = 0; i < BRANCHES; i++) {
            var cp = server.controlPlane();
            cp.computes().suspend(cp.store().endpoints().get(Branch.nameOf(project, "disk-" + i) + "/endpoints/" + Defaults.PRIMARY_ENDPOINT).orElseThrow());
        }
        long s0 = used();
        for (int i = 0; i < BRANCHES; i++) {
            deleteTree(branchDir(project, "disk-" + i).resolve(SnapshotStore.DIR));
        }
        long s1 = used();
        for (int i = 0; i < BRANCHES; i++) {
            deleteTree(branchDir(project, "disk-" + i).resolve(WalArchive.DIR));
        }
        long s2 = used();
        for (int i = 0; i < BRANCHES; i++) {
            deleteTree(branchDir(project, "disk-" + i).resolve("pgdata").resolve("pg_wal"));
        }
        long s3 = used();
        for (int i = 0; i < BRANCHES; i++) {
            api.await("DELETE", "/api/2.0/postgres/projects/" + project + "/branches/disk-" + i + "?purge=true", null);
        }
        long s4 = used();
        System.out.printf("  freed by removing, in turn (apparent sizes, which count shared blocks, in brackets):%n");
        System.out.printf("    snapshots %s (%s), WAL archives %s (%s), pg_wal %s (%s), data and the rest %s (%s); unaccounted %s%n",
                mb(s0 - s1), mb(apparentSnap), mb(s1 - s2), mb(apparentWal), mb(s2 - s3), mb(apparentPgWal), mb(s3 - s4), mb(apparentData),
                mb(added - (s0 - s4)));
    }

    private void restores(String project, int walMb) throws Exception {
        String b = "pitr";
        createBranch(project, b, "production");
        // its first snapshot comes after the create (a quiet period after it): the replays below start from it
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (!Files.isDirectory(branchDir(project, b).resolve(SnapshotStore.DIR)) || snapshots(project, b).isEmpty()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("branch " + b + " has no first snapshot 120 s after its create");
            }
            Thread.sleep(50);
        }
        long rows;
        try (Connection c = connect(project, b); Statement st = c.createStatement()) {
            rows = longOf(st, "SELECT max(id) FROM items");
            st.execute("UPDATE items SET val = val + 1 WHERE id <= 1000");
        }
        Mark little = mark(project, b);
        Restore r1 = restore(project, b, little);
        System.out.printf("restore to a time, %s of WAL since the snapshot: %.1f s%n", mb(r1.walBytes()), r1.ms() / 1000);

        long walBytes = (long) walMb << 20;
        long start;
        long t0 = System.nanoTime();
        int snapshotsBefore = snapshots(project, b).size();
        try (Connection c = connect(project, b); Statement st = c.createStatement()) {
            start = Lsn.parse(stringOf(st, "SELECT pg_current_wal_lsn()::text"));
            long chunk = Math.max(1000, rows / 200);
            long from = 1;
            while (Lsn.parse(stringOf(st, "SELECT pg_current_wal_lsn()::text")) - start < walBytes) {
                st.execute("UPDATE items SET val = val + 1 WHERE id BETWEEN " + from + " AND " + (from + chunk - 1));
                from = from + chunk > rows ? 1 : from + chunk;
            }
        }
        double genS = (System.nanoTime() - t0) / 1e9;
        Mark much = mark(project, b);
        int snapshotsAfter = snapshots(project, b).size();
        if (snapshotsAfter != snapshotsBefore) {
            throw new IllegalStateException("a snapshot was taken while the WAL was generated; the restore would not replay it all");
        }
        Restore r2 = restore(project, b, much);
        System.out.printf("restore to a time, %s of WAL since the snapshot (generated in %.0f s): %.1f s (%.0f MB/s replayed)%n",
                mb(r2.walBytes()), genS, r2.ms() / 1000, (r2.walBytes() - r1.walBytes()) / 1048576.0 / ((r2.ms() - r1.ms()) / 1000));
    }

    /** A point to restore to: the time after the last commit, its WAL position and the data's checksum then. */
    private record Mark(Instant time, long lsn, long sum) {}

    private record Restore(double ms, long walBytes) {}

    private Mark mark(String project, String branch) throws Exception {
        try (Connection c = connect(project, branch); Statement st = c.createStatement()) {
            long sum = longOf(st, "SELECT sum(val) FROM items");
            long lsn = Lsn.parse(stringOf(st, "SELECT pg_current_wal_lsn()::text"));
            Thread.sleep(20);
            Instant t = Instant.now();
            Thread.sleep(20);
            return new Mark(t, lsn, sum);
        }
    }

    private Restore restore(String project, String branch, Mark mark) throws Exception {
        List<Long> snaps = snapshots(project, branch);
        long walBytes = mark.lsn() - snaps.get(snaps.size() - 1);
        long t0 = System.nanoTime();
        api.await("POST", "/api/2.0/postgres/projects/" + project + "/branches/" + branch + ":restore",
                "{\"source_branch_time\":\"" + mark.time() + "\"}");
        double ms;
        long sum;
        try (Connection c = PgConnections.open(socket(project, branch), DB, Defaults.SYSTEM_ROLE); Statement st = c.createStatement()) {
            longOf(st, "SELECT val FROM items WHERE id = 1");
            ms = (System.nanoTime() - t0) / 1e6;
            sum = longOf(st, "SELECT sum(val) FROM items"); // the restored data is the marked one (not timed: it reads every row)
        }
        if (sum != mark.sum()) {
            throw new IllegalStateException("restored " + branch + " has sum(val)=" + sum + ", expected " + mark.sum());
        }
        return new Restore(ms, walBytes);
    }

    private void createBranch(String project, String id, String source) throws Exception {
        api.await("POST", "/api/2.0/postgres/projects/" + project + "/branches?branch_id=" + id,
                "{\"spec\":{\"source_branch\":\"projects/" + project + "/branches/" + source + "\",\"no_expiry\":true}}");
    }

    private Connection connect(String project, String branch) throws Exception {
        var cp = server.controlPlane();
        Project p = cp.store().projects().get(Project.nameOf(project)).orElseThrow();
        Branch b = cp.store().branches().get(Branch.nameOf(project, branch)).orElseThrow();
        Endpoint e = cp.computes().ensureRunning(p, b);
        return PgConnections.open(cp.config().layout().socketDir(e), DB, Defaults.SYSTEM_ROLE);
    }

    private Path socket(String project, String branch) {
        var cp = server.controlPlane();
        Endpoint e = cp.store().endpoints().get(Branch.nameOf(project, branch) + "/endpoints/" + Defaults.PRIMARY_ENDPOINT).orElseThrow();
        return cp.config().layout().socketDir(e);
    }

    private Path branchDir(String project, String branch) {
        var cp = server.controlPlane();
        Project p = cp.store().projects().get(Project.nameOf(project)).orElseThrow();
        Branch b = cp.store().branches().get(Branch.nameOf(project, branch)).orElseThrow();
        return cp.config().layout().branchDir(p, b);
    }

    private Path archiveDir(String project, String branch) {
        return branchDir(project, branch).resolve(WalArchive.DIR);
    }

    /** The LSNs of the branch's snapshots, oldest first. */
    private List<Long> snapshots(String project, String branch) throws IOException {
        Path dir = branchDir(project, branch).resolve(SnapshotStore.DIR);
        List<Long> out = new ArrayList<>();
        try (Stream<Path> dirs = Files.list(dir)) {
            for (Path d : dirs.toList()) {
                Path meta = d.resolve("snapshot.properties");
                if (Files.isRegularFile(meta)) {
                    Properties p = new Properties();
                    try (Reader r = Files.newBufferedReader(meta)) {
                        p.load(r);
                    }
                    out.add(Lsn.parse(p.getProperty("lsn")));
                }
            }
        }
        out.sort(null);
        return out;
    }

    /**
     * Bytes the filesystem holding the home has allocated (statvfs), after pending writes reached it and,
     * on XFS, after its speculative preallocations (beyond EOF and for copy-on-write) were returned: they
     * are released minutes later anyway and would make the figures depend on timing.
     */
    private long used() throws Exception {
        BenchApi.run(Map.of(), "sync", "-f", home.toString());
        FileStore fs = Files.getFileStore(home);
        if ("xfs".equals(fs.type())) {
            try {
                BenchApi.run(Map.of(), "xfs_spaceman", "-c", "prealloc -s -m 0", home.toString());
            } catch (IOException noTool) {
                // xfs_spaceman (xfsprogs) missing: figures include preallocations
            }
        }
        return fs.getTotalSpace() - fs.getUnallocatedSpace();
    }

    private static long apparent(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return 0;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(f -> {
                try {
                    return Files.size(f);
                } catch (IOException e) {
                    return 0; // vanished
                }
            }).sum();
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static long longOf(Statement st, String sql) throws SQLException {
        try (ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static String stringOf(Statement st, String sql) throws SQLException {
        try (ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static String mb(long bytes) {
        return String.format("%.0f MB", bytes / 1048576.0);
    }
}
