package dev.oxbow.sync;

import dev.oxbow.compute.ComputeSpec;
import dev.oxbow.compute.LocalComputeRuntime;
import dev.oxbow.compute.PgConnections;
import dev.oxbow.compute.PostgresBinaries;
import dev.oxbow.compute.ProcessIdentity;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.util.Map;
import java.util.UUID;

/** A real PostgreSQL 17 server for sync tests, under /tmp (the unprivileged postgres user runs it). */
final class SyncPostgres implements AutoCloseable {
    static final String SUPERUSER = "oxbow_admin";
    final Path root;
    private final LocalComputeRuntime runtime;
    private final ComputeSpec spec;

    SyncPostgres() throws Exception {
        root = Path.of("/tmp", "oxbow-sync-" + UUID.randomUUID().toString().substring(0, 8));
        Files.createDirectory(root, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        ProcessIdentity identity = ProcessIdentity.detect("postgres");
        runtime = new LocalComputeRuntime(new PostgresBinaries(Path.of("/tmp/oxbow-test-pg"), identity), identity);
        spec = new ComputeSpec("ep-sync", "tenant-a", 17, root.resolve("pg").resolve("pgdata"), root.resolve("s"), Map.of());
        runtime.initdb("tenant-a", 17, spec.dataDir(), SUPERUSER);
        runtime.start(spec);
        try (Connection c = connect()) {
            SyncRole.ensureRole(c); // as Oxbow's branch bootstrap does
        }
    }

    Connection connect() throws Exception {
        return connect("postgres", SUPERUSER);
    }

    Connection connect(String database, String user) throws Exception {
        return PgConnections.open(spec.socketDir(), database, user);
    }

    /** A session of the sync role, as Oxbow opens it (search path pinned). */
    Connection connectAsSync(String database) throws Exception {
        return PgConnections.openForOxbow(spec.socketDir(), database, SyncRole.NAME);
    }

    /** What Oxbow's superuser session does before a sync of {@code s}. */
    void prepare(String database, SyncSpec s) throws Exception {
        try (Connection admin = PgConnections.openForOxbow(spec.socketDir(), database, SUPERUSER)) {
            SyncRole.prepare(admin, s);
        }
    }

    @Override
    public void close() {
        runtime.close();
    }
}
