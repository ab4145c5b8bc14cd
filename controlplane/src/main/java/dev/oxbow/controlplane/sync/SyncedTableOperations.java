package dev.oxbow.controlplane.sync;

import dev.oxbow.metadata.SchedulingPolicy;
import dev.oxbow.metadata.SyncedTableState;
import dev.oxbow.metadata.OperationKind;
import dev.oxbow.controlplane.operation.OperationHandler;
import dev.oxbow.controlplane.operation.OperationResult;
import dev.oxbow.controlplane.resource.ApiException;
import dev.oxbow.metadata.MetadataStore;
import dev.oxbow.metadata.Operation;
import dev.oxbow.metadata.RecordJson;
import dev.oxbow.metadata.SyncedTable;
import dev.oxbow.sync.SyncException;
import dev.oxbow.sync.TableSync;

import java.sql.ResultSet;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;

/**
 * The work behind synced-table operations. Each is idempotent: a create or sync resumed after a restart runs
 * again from the Delta version Postgres has committed, so nothing is lost or applied twice.
 */
public final class SyncedTableOperations {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(SyncedTableOperations.class);
    private final MetadataStore store;
    private final SyncRunner runner;
    private final RecordJson json = new RecordJson();

    public SyncedTableOperations(MetadataStore store, SyncRunner runner) {
        this.store = store;
        this.runner = runner;
    }

    private Map<?, ?> request(Operation op) {
        return op.request() == null ? Map.of() : json.read(op.request(), Map.class);
    }

    public Map<OperationKind, OperationHandler> handlers() {
        Map<OperationKind, OperationHandler> handlers = new HashMap<>();
        handlers.put(OperationKind.CREATE_SYNCED_TABLE, (op, ctx) -> {
            SyncedTable t = table(op);
            if (Boolean.FALSE.equals(request(op).get("create_schema"))) {
                boolean schemaExists = runner.withConnection(t, c -> {
                    try (Statement s = c.createStatement();
                         ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_catalog.pg_namespace WHERE nspname = '" + t.pgSchema().replace("'", "''") + "'")) {
                        rs.next();
                        return rs.getInt(1) > 0;
                    }
                });
                if (!schemaExists) {
                    store.syncedTables().put(t.withState(SyncedTableState.SYNCED_TABLE_OFFLINE_FAILED, "Schema " + t.pgSchema() + " does not exist in "
                            + t.postgresDatabase() + " and create_database_objects_if_missing is false."));
                    throw ApiException.invalidState("Schema " + t.pgSchema() + " does not exist in database " + t.postgresDatabase()
                            + "; create it or set create_database_objects_if_missing.");
                }
            }
            SyncedTable done = sync(t.name());
            if (done.schedulingPolicy() == SchedulingPolicy.CONTINUOUS) {
                runner.follow(done.name());
            }
            return OperationResult.of(done);
        });
        handlers.put(OperationKind.SYNC_SYNCED_TABLE, (op, ctx) -> {
            SyncedTable done = sync(op.resourceName());
            if (done.schedulingPolicy() == SchedulingPolicy.CONTINUOUS) {
                runner.follow(done.name()); // again, if a failure had stopped it
            }
            return OperationResult.of(done);
        });
        handlers.put(OperationKind.DELETE_SYNCED_TABLE, (op, ctx) -> {
            runner.stopFollowing(op.resourceName());
            synchronized (runner.lock(op.resourceName())) {
                var t = store.syncedTables().get(op.resourceName());
                if (t.isPresent() && store.branches().get(t.get().branch()).filter(b -> !b.deleted()).isPresent()) {
                    boolean purge = Boolean.TRUE.equals(request(op).get("purge_data"));
                    try {
                        runner.asSyncRole(t.get(), false, c -> {
                            TableSync.forget(c, SyncRunner.spec(t.get()), purge);
                            return null;
                        });
                    } catch (SyncException e) {
                        // no state of ours in that database (its _oxbow_sync is someone else's): nothing to forget there
                        log.warn("synced table state not forgotten synced_table={} reason={}", t.get().syncedTableId(), e.getMessage());
                    }
                }
                store.syncedTables().delete(op.resourceName());
            }
            return OperationResult.empty();
        });
        return handlers;
    }

    private SyncedTable table(Operation op) {
        return store.syncedTables().get(op.resourceName()).orElseThrow(() -> ApiException.notFound("synced table", op.resourceName()));
    }

    private SyncedTable sync(String name) throws Exception {
        try {
            return runner.syncNow(name);
        } catch (SyncException e) {
            throw ApiException.invalidState(e.getMessage());
        }
    }
}
