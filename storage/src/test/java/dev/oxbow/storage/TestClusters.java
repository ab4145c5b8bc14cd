package dev.oxbow.storage;

import dev.oxbow.compute.ComputeException;
import dev.oxbow.compute.ComputeSpec;
import dev.oxbow.compute.PgConnections;
import dev.oxbow.compute.PostgresBinaries;
import dev.oxbow.compute.ProcessIdentity;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Real clusters for storage tests, under /tmp with short socket paths; binaries shared with the compute tests. */
final class TestClusters {
    static final Path BINARIES = Path.of("/tmp/oxbow-test-pg");
    static final String SUPERUSER = "oxbow_admin";

    private TestClusters() {}

    static ProcessIdentity identity() throws ComputeException {
        return ProcessIdentity.detect("postgres");
    }

    static PostgresBinaries binaries() throws ComputeException {
        return new PostgresBinaries(BINARIES, identity());
    }

    static Path scratchDir() throws IOException {
        Path dir = Path.of("/tmp", "oxbow-s-" + UUID.randomUUID().toString().substring(0, 8));
        Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        return dir;
    }

    static ComputeSpec spec(String uid, int pg, Path root, String name) {
        return new ComputeSpec(uid, "tenant-a", pg, root.resolve(name).resolve("pgdata"), root.resolve("s-" + name), Map.of());
    }

    static Connection connect(ComputeSpec spec) throws SQLException {
        return PgConnections.open(spec.socketDir(), "postgres", SUPERUSER);
    }

    static String query(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    static List<Long> longs(Connection c, String sql) throws SQLException {
        List<Long> out = new ArrayList<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                out.add(rs.getLong(1));
            }
        }
        return out;
    }

    static void exec(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
