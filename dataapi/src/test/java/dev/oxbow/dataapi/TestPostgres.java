package dev.oxbow.dataapi;

import dev.oxbow.compute.ComputeSpec;
import dev.oxbow.compute.LocalComputeRuntime;
import dev.oxbow.compute.PgConnections;
import dev.oxbow.compute.PostgresBinaries;
import dev.oxbow.compute.ProcessIdentity;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.util.Comparator;
import java.util.Map;
import java.util.UUID;

/** A real PostgreSQL 17 server for Data API tests, under /tmp (the unprivileged postgres user runs it when we are root). */
final class TestPostgres implements AutoCloseable {
    static final String SUPERUSER = "oxbow_admin";
    private final Path root;
    private final LocalComputeRuntime runtime;
    private final ComputeSpec spec;

    TestPostgres() throws Exception {
        root = Path.of("/tmp", "oxbow-dataapi-" + UUID.randomUUID().toString().substring(0, 8));
        Files.createDirectory(root, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        ProcessIdentity identity = ProcessIdentity.detect("postgres");
        runtime = new LocalComputeRuntime(new PostgresBinaries(Path.of("/tmp/oxbow-test-pg"), identity), identity);
        spec = new ComputeSpec("ep-dataapi", "tenant-a", 17, root.resolve("pg").resolve("pgdata"), root.resolve("s"), Map.of());
        runtime.initdb("tenant-a", 17, spec.dataDir(), SUPERUSER);
        runtime.start(spec);
    }

    Connection connect(String user) throws Exception {
        return PgConnections.open(spec.socketDir(), "postgres", user);
    }

    @Override
    public void close() throws Exception {
        runtime.close();
        try (var walk = Files.walk(root)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
