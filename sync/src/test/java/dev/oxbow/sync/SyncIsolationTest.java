package dev.oxbow.sync;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A tenant who owns a database and prepares traps for the sync: objects of the sync's names made first, triggers
 * that would make them superuser, and Delta tables whose files lead outside the source's directory.
 */
class SyncIsolationTest {
    private static final String SECRET = "dapi-secret-admin-token-0123456789";
    private static SyncPostgres pg;

    @BeforeAll
    static void start() throws Exception {
        pg = new SyncPostgres();
    }

    @AfterAll
    static void stop() {
        pg.close();
    }

    /** A database owned by a fresh tenant role with CREATEROLE (as Lakebase's databricks_superuser members have); returns its name. */
    private static String tenantDatabase(String tenant) throws Exception {
        String db = "db_" + tenant;
        try (Connection c = pg.connect(); Statement s = c.createStatement()) {
            s.execute("CREATE ROLE " + tenant + " LOGIN CREATEROLE");
            s.execute("CREATE DATABASE " + db + " OWNER " + tenant);
        }
        try (Connection c = pg.connect(db, tenant); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE public.hijack_log (who text, superuser boolean)");
            s.execute("GRANT INSERT ON public.hijack_log TO PUBLIC");
            s.execute("CREATE FUNCTION public.hijack() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                    + " INSERT INTO public.hijack_log SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user;"
                    + " EXECUTE 'ALTER ROLE " + tenant + " SUPERUSER'; RETURN NULL; END $$");
        }
        return db;
    }

    private static boolean superuser(String role) throws Exception {
        try (Connection c = pg.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT rolsuper FROM pg_roles WHERE rolname = '" + role + "'")) {
            rs.next();
            return rs.getBoolean(1);
        }
    }

    private static long hijacks(String db, String tenant) throws Exception {
        try (Connection c = pg.connect(db, tenant); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT count(*) FROM public.hijack_log")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static Path deltaTable(List<Object[]> rows) throws Exception {
        Path table = pg.root.resolve("delta-" + UUID.randomUUID().toString().substring(0, 8));
        DeltaTableWriter.create(table, TableSyncTest.SCHEMA, true).append(rows);
        return table;
    }

    @Test
    void aStateSchemaTheTenantMadeFirstIsRefusedAndItsTriggerNeverRuns() throws Exception {
        String db = tenantDatabase("t_state");
        try (Connection c = pg.connect(db, "t_state"); Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA _oxbow_sync");
            s.execute("CREATE TABLE _oxbow_sync.state (synced_table text PRIMARY KEY, source text NOT NULL, version bigint NOT NULL,"
                    + " commit_time timestamptz, synced_at timestamptz NOT NULL, columns jsonb NOT NULL)");
            s.execute("CREATE TRIGGER hijack AFTER INSERT OR UPDATE OR DELETE ON _oxbow_sync.state FOR EACH STATEMENT EXECUTE FUNCTION public.hijack()");
        }
        Path table = deltaTable(TableSyncTest.rows(0, 10));
        SyncSpec spec = new SyncSpec("main.app.items", table.toString(), "app", "items", List.of("id"), null, true);
        assertThatThrownBy(() -> pg.prepare(db, spec)).isInstanceOf(SyncException.class)
                .hasMessageContaining("Schema _oxbow_sync in database " + db + " belongs to t_state");
        try (Connection c = pg.connectAsSync(db)) {
            assertThatThrownBy(() -> TableSync.forget(c, spec, true)).isInstanceOf(java.sql.SQLException.class); // no rights on it
        }
        assertThat(hijacks(db, "t_state")).isZero();
        assertThat(superuser("t_state")).isFalse();
    }

    @Test
    void aTargetTableTheTenantOwnsIsRefusedInEveryModeAndItsTriggerNeverRuns() throws Exception {
        String db = tenantDatabase("t_target");
        Path table = deltaTable(TableSyncTest.rows(0, 10));
        for (boolean incremental : new boolean[] {false, true}) {
            String name = incremental ? "inc" : "snap";
            try (Connection c = pg.connect(db, "t_target"); Statement s = c.createStatement()) {
                s.execute("CREATE TABLE public." + name + " (id bigint PRIMARY KEY, name text, amount float8, ts timestamptz)");
                s.execute("CREATE TRIGGER hijack AFTER INSERT OR UPDATE OR DELETE ON public." + name + " FOR EACH STATEMENT EXECUTE FUNCTION public.hijack()");
            }
            SyncSpec spec = new SyncSpec("main.public." + name, table.toString(), "public", name, List.of("id"), null, incremental);
            assertThatThrownBy(() -> pg.prepare(db, spec)).isInstanceOf(SyncException.class)
                    .hasMessageContaining("Table public." + name + " already exists and belongs to t_target");
        }
        assertThat(hijacks(db, "t_target")).isZero();
        assertThat(superuser("t_target")).isFalse();
    }

    @Test
    void aSyncedTableTheTenantSwapsForItsOwnBetweenSyncsIsRefusedAndTriggersRunAsTheSyncRoleAtMost() throws Exception {
        String db = tenantDatabase("t_swap");
        Path source = pg.root.resolve("delta-" + UUID.randomUUID().toString().substring(0, 8));
        DeltaTableWriter w = DeltaTableWriter.create(source, TableSyncTest.SCHEMA, true);
        w.append(TableSyncTest.rows(0, 10));
        SyncSpec spec = new SyncSpec("main.public.orders", source.toString(), "public", "orders", List.of("id"), null, true);
        pg.prepare(db, spec);
        try (Connection c = pg.connectAsSync(db)) {
            assertThat(TableSync.run(spec, new DeltaSource(source.toString()), c, SyncProgress.Listener.NONE).rows()).isEqualTo(10);
        }
        // the schema's owner drops the synced table and puts a trapped one of its own in its place
        try (Connection c = pg.connect(db, "t_swap"); Statement s = c.createStatement()) {
            s.execute("DROP TABLE public.orders");
            s.execute("CREATE TABLE public.orders (id bigint PRIMARY KEY, name text, amount float8, ts timestamptz)");
            s.execute("CREATE TRIGGER hijack AFTER INSERT OR UPDATE OR DELETE ON public.orders FOR EACH STATEMENT EXECUTE FUNCTION public.hijack()");
        }
        w.append(TableSyncTest.rows(10, 20));
        // the sync session itself refuses it too (the tenant could swap between the superuser's check and the sync)
        try (Connection c = pg.connectAsSync(db)) {
            assertThatThrownBy(() -> TableSync.run(spec, new DeltaSource(source.toString()), c, SyncProgress.Listener.NONE))
                    .isInstanceOf(SyncException.class).hasMessageContaining("already exists and belongs to t_swap");
        }
        assertThatThrownBy(() -> pg.prepare(db, spec)).isInstanceOf(SyncException.class);
        assertThat(hijacks(db, "t_swap")).isZero();
        assertThat(superuser("t_swap")).isFalse();
    }

    @Test
    void syncsRefuseASuperuserSessionEvenAfterSetRole() throws Exception {
        Path table = deltaTable(TableSyncTest.rows(0, 3));
        SyncSpec spec = new SyncSpec("main.su.t", table.toString(), "su", "t", List.of("id"), null, false);
        try (Connection c = pg.connect(); Statement s = c.createStatement()) {
            assertThatThrownBy(() -> TableSync.run(spec, new DeltaSource(table.toString()), c, SyncProgress.Listener.NONE))
                    .isInstanceOf(IllegalStateException.class);
            s.execute("SET ROLE " + SyncRole.NAME); // RESET ROLE would give tenant code the superuser back
            assertThatThrownBy(() -> TableSync.run(spec, new DeltaSource(table.toString()), c, SyncProgress.Listener.NONE))
                    .isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void aSyncRoleSomeoneElseCreatedIsRefused() throws Exception {
        try (Connection c = pg.connect(); Statement s = c.createStatement()) {
            s.execute("CREATE ROLE t_member LOGIN");
            s.execute("GRANT " + SyncRole.NAME + " TO t_member"); // a tenant holding the role could act as it
            assertThatThrownBy(() -> SyncRole.ensureRole(c)).isInstanceOf(SyncException.class).hasMessageContaining("role memberships");
            s.execute("REVOKE " + SyncRole.NAME + " FROM t_member");
            SyncRole.ensureRole(c);
        }
    }

    @Test
    void systemSchemasAreNeverTargets() {
        for (String schema : List.of("pg_catalog", "information_schema", "_oxbow_sync", "PG_toast")) {
            assertThatThrownBy(() -> SyncRole.checkSchemaName(schema)).isInstanceOf(SyncException.class).hasMessageContaining("reserved");
        }
    }

    @Test
    void filesLeavingTheSourceRootAreRefusedWithoutQuotingThem() throws Exception {
        Path secret = pg.root.resolve("admin-token");
        Files.writeString(secret, SECRET + "\n");
        Path catalog = Files.createDirectories(pg.root.resolve("catalog-" + UUID.randomUUID().toString().substring(0, 8)));
        SourceRoot root = SourceRoot.of(catalog);

        // a commit file that is a link to the secret
        Path linkedLog = catalog.resolve("linked-log");
        DeltaTableWriter.create(linkedLog, TableSyncTest.SCHEMA, false).append(TableSyncTest.rows(0, 3));
        Path commit = linkedLog.resolve("_delta_log").resolve(String.format("%020d.json", 2));
        Files.createSymbolicLink(commit, secret);
        assertRefusedWithoutSecret(new DeltaSource(linkedLog.toString(), root, "lake.s.linked_log"), "outside its directory");

        // the same secret as a commit file inside the root: not valid Delta, and still not quoted
        Path copied = catalog.resolve("copied-log");
        DeltaTableWriter.create(copied, TableSyncTest.SCHEMA, false).append(TableSyncTest.rows(0, 3));
        Files.writeString(copied.resolve("_delta_log").resolve(String.format("%020d.json", 2)), SECRET + "\n");
        assertRefusedWithoutSecret(new DeltaSource(copied.toString(), root, "lake.s.copied_log"), "not valid Delta");

        // a whole table that is a link out of the root, and a _delta_log directory that is one
        Path outside = pg.root.resolve("outside-" + UUID.randomUUID().toString().substring(0, 8));
        DeltaTableWriter.create(outside, TableSyncTest.SCHEMA, false).append(TableSyncTest.rows(0, 3));
        Path linkedTable = Files.createSymbolicLink(catalog.resolve("linked-table"), outside);
        assertRefusedWithoutSecret(new DeltaSource(linkedTable.toString(), root, "lake.s.linked_table"), "outside its directory");
        Path linkedDir = Files.createDirectories(catalog.resolve("linked-dir"));
        Files.createSymbolicLink(linkedDir.resolve("_delta_log"), outside.resolve("_delta_log"));
        assertRefusedWithoutSecret(new DeltaSource(linkedDir.toString(), root, "lake.s.linked_dir"), "outside its directory");

        // a data file that is a link out of the root: the scan refuses it
        Path linkedData = catalog.resolve("linked-data");
        DeltaTableWriter.create(linkedData, TableSyncTest.SCHEMA, false).append(TableSyncTest.rows(0, 3));
        try (var files = Files.list(linkedData)) {
            Path parquet = files.filter(p -> p.toString().endsWith(".parquet")).findFirst().orElseThrow();
            Path target = pg.root.resolve("moved-" + UUID.randomUUID() + ".parquet");
            Files.move(parquet, target);
            Files.createSymbolicLink(parquet, target);
        }
        DeltaSource data = new DeltaSource(linkedData.toString(), root, "lake.s.linked_data");
        var snapshot = data.latest();
        assertThatThrownBy(() -> data.scan(snapshot, (b, s, c, o) -> {}, () -> {}))
                .isInstanceOf(SyncException.class).hasMessageContaining("outside its directory").hasMessageNotContaining(SECRET);
    }

    private static void assertRefusedWithoutSecret(DeltaSource source, String why) {
        assertThatThrownBy(source::latest).isInstanceOf(SyncException.class)
                .hasMessageContaining(why).hasMessageNotContaining(SECRET).hasMessageNotContaining("dapi");
    }

    @Test
    void sourceRootsRefuseOtherSchemesAndDotDot() throws Exception {
        Path catalog = Files.createDirectories(pg.root.resolve("roots-" + UUID.randomUUID().toString().substring(0, 8)));
        SourceRoot root = SourceRoot.of(catalog);
        root.check(catalog.resolve("t/_delta_log/00000000000000000000.json").toString());
        root.check("file:" + catalog.resolve("t"));
        for (String bad : List.of("http://169.254.169.254/latest", "hdfs://namenode/t", catalog + "/../x", "/etc/passwd", "file:///etc/passwd")) {
            assertThatThrownBy(() -> root.check(bad)).as(bad).isInstanceOf(SourceRoot.SourceOutsideRoot.class);
        }
    }
}
