package dev.oxbow.controlplane.diff;

import dev.oxbow.compute.PgConnections;
import dev.oxbow.controlplane.compute.ComputeActivity;
import dev.oxbow.controlplane.identity.AccessControl;
import dev.oxbow.controlplane.identity.Principal;
import dev.oxbow.controlplane.resource.ApiException;
import dev.oxbow.controlplane.resource.Defaults;
import dev.oxbow.metadata.Branch;
import dev.oxbow.metadata.Endpoint;
import dev.oxbow.metadata.MetadataStore;
import dev.oxbow.metadata.Project;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Compares two branches of one project in one database. Both computes are woken the way a client connection wakes
 * them (and count as connected while the diff runs, so neither is suspended under it); every query runs as the
 * unprivileged {@link DiffRole} in one read-only repeatable-read transaction per side. Nothing is written to either
 * branch and no table is copied: see {@link RangeBisection}.
 */
public final class BranchDiffService {
    private static final Logger log = LoggerFactory.getLogger(BranchDiffService.class);
    public static final int DEFAULT_EXAMPLES = 10;
    public static final int MAX_EXAMPLES = 100;
    private static final int WAKE_TIMEOUT_SECONDS = 120;
    private static final int STATEMENT_TIMEOUT_SECONDS = 600;
    private static final RangeBisection BISECTION = new RangeBisection(16, 256);

    /** What to compare; {@code database} null means the default database, {@code examples} null the default page. */
    public record Request(String project, String branch, String against, String database, boolean schemaOnly, Integer examples) {}

    private final MetadataStore store;
    private final ComputeActivity activity;
    private final AccessControl access;

    public BranchDiffService(MetadataStore store, ComputeActivity activity, AccessControl access) {
        this.store = store;
        this.activity = activity;
        this.access = access;
    }

    public BranchDiff diff(Principal caller, Request request) {
        Project project = store.projects().get(Project.nameOf(request.project())).filter(p -> !p.deleted())
                .orElseThrow(() -> ApiException.notFound("project", Project.nameOf(request.project())));
        access.requireUse(caller, project);
        Branch branch = liveBranch(Branch.nameOf(project.projectId(), request.branch()));
        Branch against = liveBranch(againstName(project, request.against()));
        String database = request.database() == null || request.database().isBlank() ? Defaults.DEFAULT_DATABASE : request.database();
        int examples = request.examples() == null ? DEFAULT_EXAMPLES : request.examples();
        if (examples < 0 || examples > MAX_EXAMPLES) {
            throw ApiException.invalid("Field page_size must be between 0 and " + MAX_EXAMPLES + ", got " + examples + ".");
        }
        // example rows are data past every grant and policy: for those who can read it all anyway (CAN_MANAGE can make
        // itself a superuser-like role); CAN_USE callers, whose own roles may see less, get counts only
        boolean withheld = access.level(caller, project) != AccessControl.Level.CAN_MANAGE && examples > 0;
        if (withheld) {
            examples = 0;
        }
        Endpoint branchEndpoint = endpointOf(branch);
        Endpoint againstEndpoint = endpointOf(against);
        long start = System.nanoTime();
        // both wake at once; each counts as a client connection until released
        CompletableFuture<Path> branchSocket = activity.acquire(branchEndpoint.uid());
        CompletableFuture<Path> againstSocket = activity.acquire(againstEndpoint.uid());
        try {
            Path b = await(branchSocket, branchEndpoint);
            Path a = await(againstSocket, againstEndpoint);
            BranchDiff result = compare(b, a, branch, against, database, request.schemaOnly(), examples, withheld, start);
            log.info("branch diff branch={} against={} database={} schema_changes={} tables={} queries={} bytes={} ms={}", branch.name(),
                    against.name(), database, result.schema().changes().size(), result.tables().size(), result.stats().queries(),
                    result.stats().bytesReturned(), result.stats().millis());
            return result;
        } finally {
            activity.release(branchEndpoint.uid());
            activity.release(againstEndpoint.uid());
        }
    }

    private BranchDiff compare(Path branchSocket, Path againstSocket, Branch branch, Branch against, String database,
                               boolean schemaOnly, int examples, boolean withheld, long start) {
        DiffStats stats = new DiffStats();
        try (Connection b = reader(branchSocket, database, branch); Connection a = reader(againstSocket, database, against)) {
            SchemaDiff schema = SchemaDiff.between(SchemaReader.read(b, stats), SchemaReader.read(a, stats));
            List<BranchDiff.TableDiff> tables = new ArrayList<>();
            List<BranchDiff.NotComparable> notComparable = new ArrayList<>();
            int compared = 0;
            long tableBytes = 0;
            int[] ranges = {0, 0};
            if (!schemaOnly) {
                Map<String, DataTables.Table> onBranch = DataTables.read(b, stats);
                Map<String, DataTables.Table> onAgainst = DataTables.read(a, stats);
                for (DataTables.Table t : onBranch.values()) {
                    DataTables.Table other = onAgainst.get(t.identity());
                    if (other == null) {
                        continue; // only on the branch: the schema diff creates it
                    }
                    String reason = notComparable(t, other);
                    if (reason != null) {
                        notComparable.add(new BranchDiff.NotComparable(t.identity(), reason));
                        continue;
                    }
                    compared++;
                    tableBytes += t.bytes();
                    List<String> columns = t.columns().stream().filter(other.columns()::contains).toList();
                    TableShape shape = new TableShape(t.schema(), t.name(), t.partitioned(), t.keyColumns(), columns);
                    JdbcTableSide bs = new JdbcTableSide(b, shape, stats);
                    JdbcTableSide as = new JdbcTableSide(a, shape, stats);
                    RowChanges changes = BISECTION.compare(bs, as, examples);
                    ranges[0] += changes.rangesCompared();
                    ranges[1] += changes.rangesFetched();
                    if (changes.total() > 0) {
                        tables.add(new BranchDiff.TableDiff(t.identity(), t.keyColumns(), changes.count(RowChanges.Kind.ADDED),
                                changes.count(RowChanges.Kind.REMOVED), changes.count(RowChanges.Kind.CHANGED), examples(changes, shape, bs, as)));
                    }
                }
            }
            tables.sort(Comparator.comparing(BranchDiff.TableDiff::table));
            long millis = (System.nanoTime() - start) / 1_000_000;
            return new BranchDiff(branch.name(), against.name(), database, schemaOnly, schema, tables, notComparable, compared, withheld,
                    new BranchDiff.Stats(stats.queries(), stats.rowsReturned(), stats.bytesReturned(), tableBytes, ranges[0], ranges[1], millis));
        } catch (DiffFailure e) {
            throw ApiException.invalidState(e.getMessage());
        } catch (SQLException e) {
            if ("3D000".equals(e.getSQLState())) {
                throw ApiException.notFound("database", database);
            }
            throw ApiException.invalidState("Cannot read the branches for the diff: " + e.getMessage());
        }
    }

    private static String notComparable(DataTables.Table t, DataTables.Table other) {
        if (t.keyColumns().isEmpty() || other.keyColumns().isEmpty()) {
            return t.keyColumns().isEmpty() && other.keyColumns().isEmpty() ? "no primary key"
                    : "no primary key on " + (t.keyColumns().isEmpty() ? "the branch" : "against");
        }
        if (!t.keyColumns().equals(other.keyColumns())) {
            return "the primary keys differ: (" + String.join(", ", t.keyColumns()) + ") on the branch, ("
                    + String.join(", ", other.keyColumns()) + ") on against";
        }
        if (!other.columns().containsAll(t.keyColumns())) {
            return "the key columns differ";
        }
        return null;
    }

    private static List<BranchDiff.Example> examples(RowChanges changes, TableShape shape, JdbcTableSide branch, JdbcTableSide against) {
        List<BranchDiff.Example> out = new ArrayList<>();
        for (RowChanges.Kind kind : RowChanges.Kind.values()) {
            for (List<String> key : changes.examples(kind)) {
                Map<String, String> named = new LinkedHashMap<>();
                for (int i = 0; i < key.size(); i++) {
                    named.put(shape.keyColumns().get(i), key.get(i));
                }
                out.add(new BranchDiff.Example(kind, named, kind == RowChanges.Kind.REMOVED ? null : branch.rowJson(key),
                        kind == RowChanges.Kind.ADDED ? null : against.rowJson(key)));
            }
        }
        return out;
    }

    /** The diff role made sure of as the superuser, then a read-only snapshot session as that role. */
    private static Connection reader(Path socket, String database, Branch branch) throws SQLException {
        try (Connection admin = PgConnections.openForOxbow(socket, database, Defaults.SYSTEM_ROLE)) {
            DiffRole.ensure(admin);
        }
        Connection c = PgConnections.openForOxbow(socket, database, DiffRole.NAME);
        try {
            try (Statement st = c.createStatement()) {
                st.execute("SET statement_timeout = '" + STATEMENT_TIMEOUT_SECONDS + "s'");
            }
            c.setAutoCommit(false);
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            c.setReadOnly(true);
            return c;
        } catch (SQLException e) {
            c.close();
            throw new SQLException("Branch " + branch.name() + ": " + e.getMessage(), e.getSQLState(), e);
        }
    }

    private Branch liveBranch(String name) {
        return store.branches().get(name).filter(b -> !b.deleted()).orElseThrow(() -> ApiException.notFound("branch", name));
    }

    /** {@code against} as a branch name of this project: an id, or a full name that must be in the same project. */
    private static String againstName(Project project, String against) {
        if (against == null || against.isBlank()) {
            throw ApiException.required("against");
        }
        String prefix = project.name() + "/branches/";
        String id = against.startsWith("projects/") ? (against.startsWith(prefix) ? against.substring(prefix.length()) : null) : against;
        if (id == null || id.isEmpty() || id.contains("/")) {
            throw ApiException.invalid("Field against must be a branch id, or a branch name in " + project.name() + ".");
        }
        return Branch.nameOf(project.projectId(), id);
    }

    /** The branch's read-write endpoint, else its first enabled one. */
    private Endpoint endpointOf(Branch branch) {
        return store.endpoints().list(branch.name()).stream().filter(e -> !e.disabled())
                .min(Comparator.comparing(e -> Endpoint.READ_WRITE.equals(e.endpointType()) ? 0 : 1))
                .orElseThrow(() -> ApiException.invalidState("Branch " + branch.name() + " has no enabled endpoint to read it through; create one."));
    }

    private Path await(CompletableFuture<Path> socket, Endpoint endpoint) {
        try {
            return socket.get(WAKE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw ApiException.invalidState("Cannot start endpoint " + endpoint.name() + ": " + e.getCause().getMessage());
        } catch (TimeoutException e) {
            throw ApiException.invalidState("Endpoint " + endpoint.name() + " did not start within " + WAKE_TIMEOUT_SECONDS + " s; try again.");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApiException.internal("Interrupted while waking " + endpoint.name());
        }
    }
}
