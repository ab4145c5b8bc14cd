package dev.oxbow.controlplane.sql;

import dev.oxbow.controlplane.compute.ComputeActivity;
import dev.oxbow.controlplane.identity.AccessControl;
import dev.oxbow.controlplane.identity.Principal;
import dev.oxbow.controlplane.resource.ApiException;
import dev.oxbow.controlplane.resource.Defaults;
import dev.oxbow.controlplane.resource.Layout;
import dev.oxbow.compute.PgConnections;
import dev.oxbow.metadata.Endpoint;
import dev.oxbow.metadata.MetadataStore;
import dev.oxbow.metadata.Project;
import dev.oxbow.metadata.Role;
import org.postgresql.util.PSQLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The console's SQL editor: runs one query on an endpoint as the caller's own Postgres role (the role
 * psql would log in as with a minted credential), so the editor can never do more than the caller could
 * through the proxy. Wakes a suspended compute the way a client connection does, and bounds the work
 * with a statement timeout and a row cap.
 */
public final class SqlConsole {
    private static final Logger log = LoggerFactory.getLogger(SqlConsole.class);
    public static final int MAX_ROWS = 1000;
    public static final int STATEMENT_TIMEOUT_SECONDS = 30;
    private static final int WAKE_TIMEOUT_SECONDS = 120;

    /** Column names and Postgres types, rows as text (null stays null), and whether rows were cut at the cap. */
    public record Result(List<Map<String, String>> columns, List<List<String>> rows, boolean truncated, Long updateCount, long millis) {}

    private final MetadataStore store;
    private final ComputeActivity activity;
    private final AccessControl access;
    private final Layout layout;

    public SqlConsole(MetadataStore store, ComputeActivity activity, AccessControl access, Layout layout) {
        this.store = store;
        this.activity = activity;
        this.access = access;
        this.layout = layout;
    }

    public Result run(Principal caller, String endpointName, String database, String query) {
        if (endpointName == null || endpointName.isBlank()) {
            throw ApiException.required("endpoint");
        }
        if (query == null || query.isBlank()) {
            throw ApiException.required("query");
        }
        Endpoint endpoint = store.endpoints().get(endpointName).orElseThrow(() -> ApiException.notFound("endpoint", endpointName));
        Project project = store.projects().get(Project.nameOf(endpoint.projectId())).filter(p -> !p.deleted())
                .orElseThrow(() -> ApiException.notFound("project", endpoint.projectId()));
        access.requireManage(caller, project);
        Role role = store.roles().list(endpoint.parentName()).stream().filter(r -> r.postgresRole().equals(caller.name())).findFirst()
                .orElseThrow(() -> ApiException.invalidState("Branch " + endpoint.parentName() + " has no Postgres role for " + caller.name()
                        + "; create one (identity_type USER or SERVICE_PRINCIPAL) to use the SQL editor."));
        String db = database == null || database.isBlank() ? Defaults.DEFAULT_DATABASE : database;
        long start = System.nanoTime();
        Path socketDir = wake(endpoint);
        try (Connection c = PgConnections.open(socketDir, db, role.postgresRole()); Statement st = c.createStatement()) {
            st.execute("SET statement_timeout = '" + STATEMENT_TIMEOUT_SECONDS + "s'");
            st.setMaxRows(MAX_ROWS + 1);
            Result result = execute(st, query, start);
            log.info("console query endpoint={} role={} rows={} ms={}", endpoint.name(), role.postgresRole(), result.rows().size(), result.millis());
            return result;
        } catch (PSQLException e) {
            var server = e.getServerErrorMessage();
            String message = server != null ? server.getMessage() : e.getMessage();
            throw new ApiException(400, "BAD_REQUEST", message, e.getSQLState() == null ? List.of()
                    : List.of(Map.of("@type", "type.googleapis.com/google.rpc.ErrorInfo", "reason", "POSTGRES_ERROR",
                            "domain", "oxbow.dev", "metadata", Map.of("sqlstate", e.getSQLState()))));
        } catch (SQLException e) {
            throw ApiException.badRequest(e.getMessage());
        } finally {
            activity.release(endpoint.uid());
        }
    }

    /** Counts as a client connection (so the suspender leaves the compute alone) and waits for it to run. */
    private Path wake(Endpoint endpoint) {
        try {
            return activity.acquire(endpoint.uid()).get(WAKE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            activity.release(endpoint.uid());
            throw ApiException.invalidState("Cannot start endpoint " + endpoint.name() + ": " + e.getCause().getMessage());
        } catch (TimeoutException e) {
            activity.release(endpoint.uid());
            throw ApiException.invalidState("Endpoint " + endpoint.name() + " did not start within " + WAKE_TIMEOUT_SECONDS + " s; try again.");
        } catch (InterruptedException e) {
            activity.release(endpoint.uid());
            Thread.currentThread().interrupt();
            throw ApiException.internal("Interrupted while waking " + endpoint.name());
        }
    }

    /** Runs the text (several statements are allowed) and reports the last result set, else the last update count. */
    private static Result execute(Statement st, String query, long start) throws SQLException {
        boolean isQuery = st.execute(query);
        Result last = null;
        while (true) {
            if (isQuery) {
                try (ResultSet rs = st.getResultSet()) {
                    last = rows(rs, start);
                }
            } else {
                int count = st.getUpdateCount();
                if (count == -1) {
                    break;
                }
                if (last == null || last.updateCount() != null) {
                    last = new Result(List.of(), List.of(), false, (long) count, millis(start));
                }
            }
            isQuery = st.getMoreResults();
        }
        return last != null ? last : new Result(List.of(), List.of(), false, 0L, millis(start));
    }

    private static Result rows(ResultSet rs, long start) throws SQLException {
        ResultSetMetaData md = rs.getMetaData();
        List<Map<String, String>> columns = new ArrayList<>();
        for (int i = 1; i <= md.getColumnCount(); i++) {
            columns.add(Map.of("name", md.getColumnLabel(i), "type", md.getColumnTypeName(i)));
        }
        List<List<String>> rows = new ArrayList<>();
        boolean truncated = false;
        while (rs.next()) {
            if (rows.size() == MAX_ROWS) {
                truncated = true;
                break;
            }
            List<String> row = new ArrayList<>(columns.size());
            for (int i = 1; i <= columns.size(); i++) {
                row.add(rs.getString(i));
            }
            rows.add(row);
        }
        return new Result(columns, rows, truncated, null, millis(start));
    }

    private static long millis(long start) {
        return (System.nanoTime() - start) / 1_000_000;
    }
}
