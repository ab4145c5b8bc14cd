package dev.oxbow.compute;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** initdb runs once per version and superuser; later clusters are copies that start, serve and are private to their owner. */
class ClusterTemplatesTest {
    private Path root;
    private ProcessIdentity identity;
    private LocalComputeRuntime runtime;

    @BeforeEach
    void setUp() throws Exception {
        root = TestPostgres.scratchDir();
        identity = TestPostgres.identity();
        runtime = new LocalComputeRuntime(TestPostgres.binaries(), ProcessIdentities.shared(identity), new RestartPolicy(1, Duration.ofSeconds(60)),
                Cgroups.none(), root.resolve("templates"));
    }

    @AfterEach
    void tearDown() throws Exception {
        runtime.close();
        TestPostgres.deleteTree(root);
    }

    @Test
    void theSecondClusterIsACopyOfTheFirstsPristineInitdbAndBothServeOnTheirOwn() throws Exception {
        ComputeSpec first = TestPostgres.spec("ep-first", 17, root, "first");
        ComputeSpec second = TestPostgres.spec("ep-second", 17, root, "second");
        runtime.initdb("tenant-1", 17, first.dataDir(), TestPostgres.SUPERUSER);
        Path template = root.resolve("templates/pg17-" + TestPostgres.SUPERUSER);
        assertThat(template.resolve("PG_VERSION")).hasContent("17");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(template))).isEqualTo("rwx------");

        // the first cluster runs and changes; the template does not
        runtime.start(first);
        query(first, "CREATE DATABASE only_in_first");
        runtime.initdb("tenant-2", 17, second.dataDir(), TestPostgres.SUPERUSER);
        runtime.start(second);

        assertThat(query(second, "SELECT count(*) FROM pg_database WHERE datname = 'only_in_first'")).isEqualTo("0");
        assertThat(query(second, "SHOW data_checksums")).isEqualTo("on");
        assertThat(query(second, "SHOW server_encoding")).isEqualTo("UTF8");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(second.dataDir()))).isEqualTo("rwx------");
        if (identity.root()) {
            assertThat(Files.getOwner(second.dataDir().resolve("global/pg_control")).getName()).isEqualTo(identity.user());
        }
        assertThat(Files.readString(template.resolve("postgresql.conf"))).as("never started, never configured")
                .doesNotContain(ServerConfig.INCLUDE_LINE);
    }

    @Test
    void aNamedTemplateIsKeptOnceFromAStoppedClusterAndCopiedForItsOwner() throws Exception {
        ComputeSpec seeded = TestPostgres.spec("ep-seeded", 17, root, "seeded");
        assertThat(runtime.copyTemplate("tenant-1", 17, TestPostgres.SUPERUSER, "root-x", seeded.dataDir())).as("none kept yet").isEmpty();
        assertThat(seeded.dataDir()).doesNotExist();
        runtime.initdb("tenant-1", 17, seeded.dataDir(), TestPostgres.SUPERUSER);
        runtime.start(seeded);
        query(seeded, "CREATE DATABASE seeded_db");
        runtime.stop(seeded.endpointUid());
        runtime.keepTemplate(17, TestPostgres.SUPERUSER, "root-x", seeded.dataDir());
        Path kept = root.resolve("templates/pg17-" + TestPostgres.SUPERUSER + "-root-x");
        long keptAt = Files.getLastModifiedTime(kept.resolve("PG_VERSION")).toMillis();

        // a second keep leaves the first in place (snapshots may share its files)
        runtime.start(seeded);
        query(seeded, "CREATE DATABASE later_db");
        runtime.stop(seeded.endpointUid());
        runtime.keepTemplate(17, TestPostgres.SUPERUSER, "root-x", seeded.dataDir());
        assertThat(Files.getLastModifiedTime(kept.resolve("PG_VERSION")).toMillis()).isEqualTo(keptAt);

        // kept, it gets a ready copy in the background, which the next cluster is renamed from (no copy on its path)
        Path spares = root.resolve("templates/spares/pg17-" + TestPostgres.SUPERUSER + "-root-x");
        Path spare = awaitReadySpare(spares, null);
        Object spareInode = Files.getAttribute(spare.resolve("PG_VERSION"), "unix:ino");
        ComputeSpec copy = TestPostgres.spec("ep-copy", 17, root, "copy");
        assertThat(runtime.copyTemplate("tenant-2", 17, TestPostgres.SUPERUSER, "root-x", copy.dataDir())).contains(kept);
        assertThat(Files.getAttribute(copy.dataDir().resolve("PG_VERSION"), "unix:ino")).as("the spare itself, renamed").isEqualTo(spareInode);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(copy.dataDir()))).isEqualTo("rwx------");
        assertThat(awaitReadySpare(spares, spare.getFileName())).as("the next spare").isNotEqualTo(spare);
        runtime.start(copy);
        assertThat(query(copy, "SELECT string_agg(datname, ',' ORDER BY datname) FROM pg_database WHERE datname LIKE '%_db'")).isEqualTo("seeded_db");
        if (identity.root()) {
            assertThat(Files.getOwner(copy.dataDir().resolve("global/pg_control")).getName()).isEqualTo(identity.user());
        }
        assertThatThrownBy(() -> runtime.copyTemplate("tenant-2", 17, TestPostgres.SUPERUSER, "../x", copy.dataDir()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aTemplateIsNoExcuseToOverwriteAClusterThatExists() throws Exception {
        ComputeSpec first = TestPostgres.spec("ep-a", 17, root, "a");
        runtime.initdb("tenant-1", 17, first.dataDir(), TestPostgres.SUPERUSER);
        assertThatThrownBy(() -> runtime.initdb("tenant-1", 17, first.dataDir(), TestPostgres.SUPERUSER))
                .isInstanceOf(ComputeException.class).hasMessageContaining("not empty");
    }

    @Test
    void aSpareACrashLeftHalfMadeIsRemovedAtStart() throws Exception {
        Path halfMade = Files.createDirectories(root.resolve("templates/spares/pg17-x-root-x/.staging-1234/base"));
        Path ready = Files.createDirectories(root.resolve("templates/spares/pg17-x-root-x/5678"));
        new LocalComputeRuntime(TestPostgres.binaries(), ProcessIdentities.shared(identity), new RestartPolicy(1, Duration.ofSeconds(60)),
                Cgroups.none(), root.resolve("templates")).close();
        assertThat(halfMade.getParent()).doesNotExist();
        assertThat(ready).as("a ready one is complete: its template never changes").isDirectory();
    }

    /** Polls until a ready spare other than {@code other} is in {@code dir} (made in the background). */
    private static Path awaitReadySpare(Path dir, Path other) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.isDirectory(dir)) {
                try (var entries = Files.list(dir)) {
                    var found = entries.filter(p -> !p.getFileName().toString().startsWith(".") && !p.getFileName().equals(other)).findFirst();
                    if (found.isPresent()) {
                        return found.get();
                    }
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no spare cluster became ready in " + dir);
    }

    private static String query(ComputeSpec spec, String sql) throws Exception {
        try (Connection c = PgConnections.open(spec.socketDir(), "postgres", TestPostgres.SUPERUSER)) {
            if (!sql.startsWith("SELECT") && !sql.startsWith("SHOW")) {
                c.createStatement().execute(sql);
                return "";
            }
            try (ResultSet rs = c.createStatement().executeQuery(sql)) {
                rs.next();
                return rs.getString(1);
            }
        }
    }
}
