package dev.oxbow.storage;

import dev.oxbow.compute.Lsn;

import dev.oxbow.compute.ProcessIdentity;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class TreeCopierTest {
    private Path root;
    private ProcessIdentity identity;

    @BeforeEach
    void setUp() throws Exception {
        root = TestClusters.scratchDir();
        identity = TestClusters.identity();
    }

    @AfterEach
    void tearDown() throws Exception {
        TestClusters.deleteTree(root);
    }

    @Test
    void detectsTheStrategyOfAFilesystem() throws Exception {
        CloneStrategy strategy = CloneStrategy.detect(root.resolve("not/yet/created"));
        // /tmp here is ext4: no reflinks; on btrfs or XFS (reflink=1) this is REFLINK
        assertThat(strategy).isIn(CloneStrategy.COPY, CloneStrategy.REFLINK);
        try (var left = Files.list(root)) {
            assertThat(left.toList()).as("probe files removed").isEmpty();
        }
        assertThat(new BranchCloner().strategyFor(root)).isEqualTo(strategy);
    }

    @Test
    void bothStrategiesCopyWhatTheOnlineFilterAdmits() throws Exception {
        Path source = sampleDataDir();
        // reflink mode "auto" runs the cp batch path even where the filesystem cannot share blocks
        for (TreeCopier copier : List.of(new TreeCopier(CloneStrategy.COPY, identity),
                new TreeCopier(CloneStrategy.REFLINK, identity, "auto"))) {
            Path target = root.resolve("target");
            identity.privateDir(target);
            TreeCopier.Result result = copier.copyTree(source, target, CopyFilter.ONLINE);

            assertThat(Files.readString(target.resolve("base/1/1259"))).isEqualTo("heap");
            assertThat(Files.readString(target.resolve("global/pg_control"))).isEqualTo("control");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(target.resolve("base/1/1259")))).isEqualTo("rw-------");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(target.resolve("base")))).isEqualTo("rwx------");
            assertThat(Files.isDirectory(target.resolve("pg_wal/archive_status"))).isTrue();
            assertThat(Files.exists(target.resolve("pg_wal/000000010000000000000001"))).isFalse();
            assertThat(Files.isDirectory(target.resolve("pg_replslot"))).isTrue();
            assertThat(Files.exists(target.resolve("pg_replslot/some_slot"))).isFalse();
            assertThat(Files.exists(target.resolve("postmaster.pid"))).isFalse();
            assertThat(Files.exists(target.resolve("base/pgsql_tmp"))).isFalse();
            assertThat(Files.exists(target.resolve("base/1/pg_internal.init"))).isFalse();
            assertThat(Files.readSymbolicLink(target.resolve("link"))).isEqualTo(Path.of("base/1"));
            if (identity.root()) {
                assertThat(Files.getOwner(target.resolve("base/1/1259")).getName()).isEqualTo("postgres");
            }
            assertThat(result.files()).isEqualTo(4);

            // files that vanished before cp ran are counted, not fatal
            TreeCopier.Result partial = copier.copyFiles(source.resolve("base/1"), List.of("1259", "gone"), root.resolve("target/global"));
            assertThat(partial.files()).isEqualTo(1);
            assertThat(partial.vanished()).isEqualTo(1);
            TestClusters.deleteTree(target);
        }
    }

    @Test
    void walRangeTakesTheSegmentsFromTheLabelsCheckpointOn() {
        String label = "START WAL LOCATION: 0/2000028 (file 000000010000000000000002)\nCHECKPOINT LOCATION: 0/2000080\n";
        WalRange range = WalRange.of(WalRange.startSegment(label), "000000010000000000000004");
        assertThat(range.needs("000000010000000000000001")).isFalse();
        assertThat(range.needs("000000010000000000000002")).isTrue();
        assertThat(range.needs("000000010000000000000004")).isTrue();
        assertThat(range.needs("000000010000000000000005")).isFalse();
        assertThat(range.needs("000000020000000000000003")).isFalse();
        assertThat(range.needs("00000002.history")).isTrue();
        assertThat(range.needs("archive_status")).isFalse();
        assertThat(Lsn.parse("16/B374D848")).isEqualTo(0x16B374D848L);
        long seg = 16L << 20;
        assertThat(WalRange.segmentBefore("00000001", Lsn.parse("0/3000000"), seg)).isEqualTo("000000010000000000000002");
        assertThat(WalRange.segmentBefore("00000001", Lsn.parse("0/3000001"), seg)).isEqualTo("000000010000000000000003");
        assertThat(WalRange.segmentBefore("00000002", Lsn.parse("1/00000010"), seg)).isEqualTo("000000020000000100000000");
        assertThat(WalRange.segmentBefore("00000001", Lsn.parse("1/00000000"), seg)).isEqualTo("0000000100000000000000FF");
        assertThat(range.missingFrom(List.of("000000010000000000000003", "000000010000000000000004")))
                .containsExactly("000000010000000000000002");
    }

    private Path sampleDataDir() throws Exception {
        Path source = root.resolve("source");
        for (String dir : List.of("base/1", "base/pgsql_tmp", "global", "pg_wal/archive_status", "pg_replslot/some_slot")) {
            Files.createDirectories(source.resolve(dir));
        }
        try (var dirs = Files.walk(source)) {
            for (Path d : dirs.toList()) {
                Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwx------"));
            }
        }
        Files.writeString(source.resolve("base/1/1259"), "heap");
        Files.writeString(source.resolve("base/1/pg_internal.init"), "cache");
        Files.writeString(source.resolve("base/pgsql_tmp/pgsql_tmp123.0"), "tmp");
        Files.writeString(source.resolve("global/pg_control"), "control");
        Files.writeString(source.resolve("pg_wal/000000010000000000000001"), "wal");
        Files.writeString(source.resolve("postmaster.pid"), "123");
        Files.writeString(source.resolve("PG_VERSION"), "17");
        Files.createSymbolicLink(source.resolve("link"), Path.of("base/1"));
        for (Path f : List.of(source.resolve("base/1/1259"), source.resolve("global/pg_control"), source.resolve("PG_VERSION"))) {
            Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        }
        return source;
    }
}
