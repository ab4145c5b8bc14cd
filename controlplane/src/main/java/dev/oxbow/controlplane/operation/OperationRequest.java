package dev.oxbow.controlplane.operation;

import dev.oxbow.metadata.Database;
import dev.oxbow.metadata.Endpoint;
import dev.oxbow.metadata.OperationKind;
import dev.oxbow.metadata.Role;
import dev.oxbow.storage.PointInTimeRecovery;

import java.time.Instant;

/**
 * What an operation needs beyond its resource name, one record per kind of work; written by the service that
 * accepts the operation and read back by its handler, both through {@link OperationRequestCodec}. Field names
 * are stored in snake case (e.g. {@code old_branch_id}); a resource snapshot is stored as a JSON string.
 */
public sealed interface OperationRequest {
    /** The request of kinds that carry nothing. */
    OperationRequest NONE = new None();

    /** No more than the resource name (create/update/undelete of projects, endpoints and branches, sync now). */
    record None() implements OperationRequest {}

    /** DELETE_PROJECT and DELETE_BRANCH: soft delete, or {@code purge} the data now. */
    record Delete(boolean purge) implements OperationRequest {}

    /**
     * CREATE_BRANCH: from the parent's head, from a past point (one of {@code lsn} or {@code time}), or from a
     * project snapshot ({@code sourceSnapshot}, its resource name).
     */
    record CreateBranch(String sourceBranchLsn, Instant sourceBranchTime, String sourceSnapshot) implements OperationRequest {
        public static CreateBranch of(PointInTimeRecovery.Target past) {
            return past == null ? new CreateBranch(null, null, null) : new CreateBranch(past.lsn(), past.time(), null);
        }

        public static CreateBranch fromSnapshot(String snapshotName) {
            return new CreateBranch(null, null, snapshotName);
        }

        /** The past point, or null for the parent's head. */
        public PointInTimeRecovery.Target point() {
            return pointOf(sourceBranchLsn, sourceBranchTime);
        }
    }

    /**
     * RESTORE_BRANCH: the point to restore to (or the project snapshot, {@code sourceSnapshot}), and the branch
     * that keeps the current state.
     */
    record RestoreBranch(String sourceBranchLsn, Instant sourceBranchTime, String oldBranchId, String oldBranchUid,
                         String sourceSnapshot) implements OperationRequest {
        public PointInTimeRecovery.Target point() {
            return pointOf(sourceBranchLsn, sourceBranchTime);
        }
    }

    /** RESET_BRANCH: to the parent's head. */
    record ResetBranch() implements OperationRequest {}

    /** UPDATE_ENDPOINT: the endpoint before the update, put back if the update fails. */
    record UpdateEndpoint(Endpoint previous) implements OperationRequest {}

    /** CREATE_ROLE/UPDATE_ROLE: the role before (null for a new one), put back if applying it fails. */
    record PutRole(Role previous) implements OperationRequest {}

    /** DELETE_ROLE: the role dropped, and who takes over what it owns (null for nobody). */
    record DeleteRole(String postgresRole, Role previous, String reassignOwnedTo) implements OperationRequest {}

    /** CREATE_DATABASE/UPDATE_DATABASE: the database before (null for a new one). */
    record PutDatabase(Database previous) implements OperationRequest {}

    /** DELETE_DATABASE: the database dropped. */
    record DeleteDatabase(Database previous) implements OperationRequest {}

    /** CREATE_SYNCED_TABLE: whether to create the target schema if it is missing. */
    record CreateSyncedTable(boolean createSchema) implements OperationRequest {}

    /** DELETE_SYNCED_TABLE: whether to drop the Postgres table too. */
    record DeleteSyncedTable(boolean purgeData) implements OperationRequest {}

    /** CREATE/UPDATE/DELETE_DATA_API: the data API before (null for a new one), put back if the update fails. */
    record PutDataApi(dev.oxbow.metadata.DataApi previous) implements OperationRequest {}

    /** DELETE_CDF_CONFIG: {@code force} drops the slot even when the compute cannot be reached now (it is dropped when it next runs). */
    record DeleteCdfConfig(boolean force) implements OperationRequest {}

    /** The request type each kind of operation carries. */
    static Class<? extends OperationRequest> typeOf(OperationKind kind) {
        return switch (kind) {
            case CREATE_PROJECT, UPDATE_PROJECT, UNDELETE_PROJECT, UPDATE_BRANCH, UNDELETE_BRANCH,
                 CREATE_ENDPOINT, DELETE_ENDPOINT, SYNC_SYNCED_TABLE, CREATE_CATALOG, DELETE_CATALOG,
                 CREATE_SNAPSHOT, DELETE_SNAPSHOT, CREATE_CDF_CONFIG -> None.class;
            case DELETE_CDF_CONFIG -> DeleteCdfConfig.class;
            case DELETE_PROJECT, DELETE_BRANCH -> Delete.class;
            case CREATE_BRANCH -> CreateBranch.class;
            case RESTORE_BRANCH -> RestoreBranch.class;
            case RESET_BRANCH -> ResetBranch.class;
            case UPDATE_ENDPOINT -> UpdateEndpoint.class;
            case CREATE_ROLE, UPDATE_ROLE -> PutRole.class;
            case DELETE_ROLE -> DeleteRole.class;
            case CREATE_DATABASE, UPDATE_DATABASE -> PutDatabase.class;
            case DELETE_DATABASE -> DeleteDatabase.class;
            case CREATE_SYNCED_TABLE -> CreateSyncedTable.class;
            case DELETE_SYNCED_TABLE -> DeleteSyncedTable.class;
            case CREATE_DATA_API, UPDATE_DATA_API, DELETE_DATA_API -> PutDataApi.class;
        };
    }

    private static PointInTimeRecovery.Target pointOf(String lsn, Instant time) {
        return lsn == null && time == null ? null : new PointInTimeRecovery.Target(lsn, time);
    }
}
