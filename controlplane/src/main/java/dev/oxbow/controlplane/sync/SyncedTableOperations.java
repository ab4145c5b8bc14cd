package dev.oxbow.controlplane.sync;

import dev.oxbow.controlplane.operation.OperationRequestCodec;
import dev.oxbow.controlplane.operation.OperationRequest;
import dev.oxbow.metadata.SchedulingPolicy;
import dev.oxbow.metadata.SyncedTableState;
import dev.oxbow.metadata.OperationKind;
import dev.oxbow.controlplane.operation.OperationHandler;
import dev.oxbow.controlplane.operation.OperationResult;
import dev.oxbow.controlplane.resource.ApiException;
import dev.oxbow.metadata.MetadataStore;
import dev.oxbow.metadata.Operation;
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
    private final OperationRequestCodec requests = new OperationRequestCodec();
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(SyncedTableOperations.class);
    private final MetadataStore store;
    private final SyncRunner runner;

    public SyncedTableOperations(MetadataStore store, SyncRunner runner) {
        this.store = store;
        this.runner = runner;
    }


    public Map<OperationKind, OperationHandler> handlers() {
        Map<OperationKind, OperationHandler> handlers = new HashMap<>();
        handlers.put(OperationKind.CREATE_SYNCED_TABLE, (op, ctx) -> {
            SyncedTable t = table(op);
            if (!requests.read(op, OperationRequest.CreateSyncedTable.class).createSchema()) {
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
            SyncedTable done;
            try {
                done = runner.syncNow(t.name());
            } catch (SyncException e) {
                // the initial load was refused (duplicate keys, a value Postgres cannot store, an unreadable source) and
                // rolled back: no synced table is left behind in a failed state; the operation says why
                store.syncedTables().delete(t.name());
                throw ApiException.invalidState(e.getMessage() + " The synced table was not created; fix the source or the spec and create it again.");
            }
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
                    boolean purge = requests.read(op, OperationRequest.DeleteSyncedTable.class).purgeData();
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
