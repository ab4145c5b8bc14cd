package dev.oxbow.api;

import dev.oxbow.metadata.EndpointState;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.oxbow.controlplane.resource.Defaults;
import dev.oxbow.metadata.Branch;
import dev.oxbow.metadata.Database;
import dev.oxbow.metadata.Endpoint;
import dev.oxbow.metadata.EndpointDefaults;
import dev.oxbow.metadata.Operation;
import dev.oxbow.metadata.Project;
import dev.oxbow.metadata.RecordJson;
import dev.oxbow.metadata.Role;

import java.time.Instant;
import java.util.Map;

/**
 * Renders records in the wire shape: output fields plus {@code status}, never {@code spec}; timestamps
 * and durations in protobuf JSON; unset values omitted rather than sent as "".
 */
final class ResourceWriter {
    private final ObjectMapper mapper;
    private final String hostDomain;
    private final dev.oxbow.controlplane.compute.Computes computes;
    private final RecordJson records = new RecordJson();
    /** The API's own base URL, known once it listens; data API status URLs start with it. */
    private volatile String apiBase = "";
    private final DataApiJson dataApis;

    private final java.util.Optional<dev.oxbow.controlplane.history.BucketHistory> bucket;

    /** Fills ProjectStatus' use fields ({@code compute_last_active_time}, {@code synthetic_storage_size_bytes}); null: unknown. */
    private final dev.oxbow.controlplane.project.ProjectUsage usage;

    ResourceWriter(ObjectMapper mapper, String hostDomain, dev.oxbow.controlplane.compute.Computes computes) {
        this(mapper, hostDomain, computes, java.util.Optional.empty(), null);
    }

    ResourceWriter(ObjectMapper mapper, String hostDomain, dev.oxbow.controlplane.compute.Computes computes,
                   java.util.Optional<dev.oxbow.controlplane.history.BucketHistory> bucket,
                   dev.oxbow.controlplane.project.ProjectUsage usage) {
        this.bucket = bucket;
        this.usage = usage;
        this.dataApis = new DataApiJson(mapper, () -> apiBase);
        this.mapper = mapper;
        this.hostDomain = hostDomain;
        this.computes = computes;
    }

    ObjectNode project(Project p) {
        ObjectNode n = mapper.createObjectNode();
        n.put("name", p.name()).put("project_id", p.projectId()).put("uid", p.uid());
        times(n, p.createTime(), p.updateTime());
        time(n, "delete_time", p.deleteTime());
        time(n, "purge_time", p.purgeTime());
        ObjectNode s = n.putObject("status");
        s.put("project_id", p.projectId()).put("display_name", p.displayName()).put("pg_version", p.pgVersion())
                .put("history_retention_duration", Wire.duration(p.historyRetentionSeconds()))
                .put("default_branch", Branch.nameOf(p.projectId(), p.defaultBranchId()))
                .put("enable_pg_native_login", p.enablePgNativeLogin())
                .put("owner", p.owner())
                .put("branch_logical_size_limit_bytes", Defaults.BRANCH_LOGICAL_SIZE_LIMIT_BYTES)
                .put("synthetic_storage_size_bytes", usage == null ? 0 : usage.storageBytes(p));
        if (usage != null) {
            usage.computeLastActiveTime(p).ifPresent(t -> s.put("compute_last_active_time", Wire.timestamp(t)));
        }
        endpointDefaults(s.putObject("default_endpoint_settings"), p.defaults());
        if (p.budgetPolicyId() != null) {
            s.put("budget_policy_id", p.budgetPolicyId());
        }
        if (p.synchronousWal()) {
            s.put("synchronous_wal", true); // Oxbow extension, only when on: commits wait for the object store
        }
        if (!p.customTags().isEmpty()) {
            var tags = s.putArray("custom_tags");
            p.customTags().forEach(t -> tags.addObject().put("key", t.key()).put("value", t.value()));
        }
        return n;
    }

    private void endpointDefaults(ObjectNode n, EndpointDefaults d) {
        n.put("autoscaling_limit_min_cu", d.minCu()).put("autoscaling_limit_max_cu", d.maxCu());
        if (d.noSuspension()) {
            n.put("no_suspension", true);
        } else if (d.suspendTimeoutSeconds() != null) {
            n.put("suspend_timeout_duration", Wire.duration(d.suspendTimeoutSeconds()));
        }
        if (!d.pgSettings().isEmpty()) {
            pgSettings(n.putObject("pg_settings"), d.pgSettings());
        }
    }

    ObjectNode branch(Branch b) {
        ObjectNode n = mapper.createObjectNode();
        n.put("name", b.name()).put("branch_id", b.branchId()).put("parent", b.parentName()).put("uid", b.uid());
        times(n, b.createTime(), b.updateTime());
        ObjectNode s = n.putObject("status");
        s.put("branch_id", b.branchId()).put("current_state", b.state().name());
        if (b.pendingState() != null && b.pendingState() != b.state()) {
            s.put("pending_state", b.pendingState().name());
        }
        time(s, "state_change_time", b.stateChangeTime());
        s.put("default", b.isDefault()).put("is_protected", b.isProtected()).put("logical_size_bytes", b.logicalSizeBytes());
        if (b.sourceBranchId() != null) {
            s.put("source_branch", Branch.nameOf(b.projectId(), b.sourceBranchId()));
        }
        if (b.sourceBranchLsn() != null) {
            s.put("source_branch_lsn", b.sourceBranchLsn());
        }
        time(s, "source_branch_time", b.sourceBranchTime());
        time(s, "expire_time", b.expireTime());
        time(s, "delete_time", b.deleteTime());
        time(s, "purge_time", b.purgeTime());
        if (b.masked()) { // Oxbow extension: masked since (its earliest point), absent while masking runs
            s.put("masked", true);
            if (b.maskedLsn() != null) {
                s.put("masked_lsn", b.maskedLsn());
            }
            time(s, "masked_time", b.maskedTime());
        }
        history(s.putObject("history"), b);
        return n;
    }

    /** Oxbow extension: where the branch's history lives, and how far its WAL has reached the object store. */
    private void history(ObjectNode h, Branch b) {
        if (bucket.isEmpty()) {
            h.put("location", "local");
            return;
        }
        var health = bucket.get().health();
        h.put("location", health.location()).put("object_store_reachable", health.reachable());
        bucket.get().status(b).ifPresent(st -> {
            if (st.lastShippedLsn() != null) {
                h.put("wal_shipped_lsn", st.lastShippedLsn());
            }
            time(h, "wal_shipped_time", st.lastShippedAt());
            h.put("bucket_wal_bytes", st.bucketBytes()).put("wal_backlog_files", st.backlogFiles());
            h.put("synchronous", bucket.get().receiving(b)); // commits wait for the object store now (synchronous_wal)
            if (st.lastError() != null) {
                h.put("last_error", st.lastError());
            }
        });
    }

    ObjectNode endpoint(Endpoint e) {
        ObjectNode n = mapper.createObjectNode();
        n.put("name", e.name()).put("endpoint_id", e.endpointId()).put("parent", e.parentName()).put("uid", e.uid());
        times(n, e.createTime(), e.updateTime());
        ObjectNode s = n.putObject("status");
        s.put("endpoint_id", e.endpointId()).put("endpoint_type", e.endpointType()).put("current_state", e.state().name());
        if (e.pendingState() != null && e.pendingState() != e.state()) {
            s.put("pending_state", e.pendingState().name());
        }
        s.put("autoscaling_limit_min_cu", e.minCu()).put("autoscaling_limit_max_cu", e.maxCu());
        if (e.noSuspension()) {
            s.put("no_suspension", true);
        } else if (e.suspendTimeoutSeconds() != null) {
            s.put("suspend_timeout_duration", Wire.duration(e.suspendTimeoutSeconds()));
        }
        s.put("disabled", e.disabled());
        s.putObject("group").put("min", e.groupMin()).put("max", e.groupMax())
                .put("enable_readable_secondaries", e.enableReadableSecondaries());
        ObjectNode hosts = s.putObject("hosts");
        hosts.put("host", e.uid() + "." + hostDomain);
        hosts.put("read_only_host", (e.readWrite() ? e.uid() + "-ro" : e.uid()) + "." + hostDomain);
        if (computes.runtime().poolerUnavailable().isEmpty()) {
            // the same hosts through the endpoint's PgBouncer (transaction mode), Neon's "-pooler" convention
            if (e.readWrite()) {
                hosts.put("read_write_pooled_host", e.uid() + "-pooler." + hostDomain);
            }
            hosts.put("read_only_pooled_host", (e.readWrite() ? e.uid() + "-ro" : e.uid()) + "-pooler." + hostDomain);
        }
        pgSettings(s.putObject("settings").putObject("pg_settings"), e.pgSettings());
        time(s, "last_active_time", e.lastActiveTime());
        // Oxbow extensions (SDKs ignore unknown fields): the size now and how it is enforced
        if (e.state() == EndpointState.ACTIVE) {
            s.put("current_cu", computes.currentCu(e));
        }
        s.put("resource_control", computes.runtime().resourceControl());
        if (!e.readWrite()) {
            computes.replicationLagBytes(e).ifPresent(lag -> s.put("replication_lag_bytes", lag));
        }
        return n;
    }

    ObjectNode role(Role r) {
        ObjectNode n = mapper.createObjectNode();
        n.put("name", r.name()).put("role_id", r.roleId()).put("parent", r.parentName());
        times(n, r.createTime(), r.updateTime());
        ObjectNode s = n.putObject("status");
        s.put("role_id", r.roleId()).put("postgres_role", r.postgresRole())
                .put("identity_type", r.identityType() == null ? "IDENTITY_TYPE_UNSPECIFIED" : r.identityType())
                .put("auth_method", r.authMethod());
        var memberships = s.putArray("membership_roles");
        r.membershipRoles().forEach(memberships::add);
        s.putObject("attributes").put("bypassrls", r.bypassrls()).put("createdb", r.createdb()).put("createrole", r.createrole());
        return n;
    }

    ObjectNode database(Database d) {
        ObjectNode n = mapper.createObjectNode();
        n.put("name", d.name()).put("database_id", d.databaseId()).put("parent", d.parentName());
        times(n, d.createTime(), d.updateTime());
        n.putObject("status").put("database_id", d.databaseId()).put("postgres_database", d.postgresDatabase())
                .put("role", Role.nameOf(d.projectId(), d.branchId(), d.ownerRoleId()));
        return n;
    }

    /** A project snapshot; {@code status.source_branch_lsn}/{@code _time} are the point it holds. */
    ObjectNode snapshot(dev.oxbow.metadata.ProjectSnapshot sn) {
        ObjectNode n = mapper.createObjectNode();
        n.put("name", sn.name()).put("snapshot_id", sn.snapshotId()).put("parent", sn.parentName()).put("uid", sn.uid());
        times(n, sn.createTime(), sn.updateTime());
        String source = Branch.nameOf(sn.projectId(), sn.sourceBranchId());
        n.putObject("spec").put("source_branch", source);
        ObjectNode s = n.putObject("status");
        s.put("snapshot_id", sn.snapshotId()).put("current_state", sn.state().name()).put("source_branch", source)
                .put("scheduled", sn.scheduled()).put("size_bytes", sn.sizeBytes());
        if (sn.lsn() != null) {
            s.put("source_branch_lsn", sn.lsn());
        }
        time(s, "source_branch_time", sn.time());
        return n;
    }

    ObjectNode snapshotSchedule(dev.oxbow.metadata.SnapshotSchedule sc) {
        ObjectNode n = mapper.createObjectNode();
        n.put("name", sc.name()).put("parent", sc.parentName());
        time(n, "update_time", sc.updateTime());
        n.putObject("spec").put("frequency", sc.frequency());
        ObjectNode s = n.putObject("status");
        s.put("frequency", sc.frequency());
        time(s, "next_snapshot_time", sc.nextSnapshotTime());
        time(s, "last_snapshot_time", sc.lastSnapshotTime());
        return n;
    }

    ObjectNode dataApi(dev.oxbow.metadata.DataApi d) {
        return dataApis.render(d);
    }

    void apiBase(String base) {
        this.apiBase = base;
    }

    ObjectNode operation(Operation op) {
        ObjectNode n = mapper.createObjectNode();
        n.put("name", op.name()).put("done", op.done());
        n.putObject("metadata").put("@type", op.metadataType());
        if (!op.done()) {
            return n;
        }
        if (op.errorCode() != null) {
            n.putObject("error").put("error_code", op.errorCode()).put("message", op.errorMessage());
        } else if (op.result() == null) {
            n.putObject("response").put("@type", "type.googleapis.com/google.protobuf.Empty");
        } else {
            n.set("response", switch (op.resultKind()) {
                case "project" -> project(records.read(op.result(), Project.class));
                case "branch" -> branch(records.read(op.result(), Branch.class));
                case "endpoint" -> endpoint(records.read(op.result(), Endpoint.class));
                case "role" -> role(records.read(op.result(), Role.class));
                case "database" -> database(records.read(op.result(), Database.class));
                case "projectsnapshot" -> snapshot(records.read(op.result(), dev.oxbow.metadata.ProjectSnapshot.class));
                case "dataapi" -> dataApi(records.read(op.result(), dev.oxbow.metadata.DataApi.class));
                case "cdfconfig" -> cdfConfig(records.read(op.result(), dev.oxbow.metadata.CdfConfig.class));
                case "postgrescatalog" -> catalog(records.read(op.result(), dev.oxbow.metadata.PostgresCatalog.class));
                case "syncedtable" -> syncedTable(records.read(op.result(), dev.oxbow.metadata.SyncedTable.class), java.util.Optional.empty());
                default -> mapper.createObjectNode();
            });
        }
        return n;
    }

    /** A CDF config, immutable: the Postgres schema and the catalog.schema it is written to. */
    ObjectNode cdfConfig(dev.oxbow.metadata.CdfConfig c) {
        ObjectNode n = mapper.createObjectNode();
        n.put("name", c.name()).put("cdf_config_id", c.cdfConfigId());
        time(n, "create_time", c.createTime());
        n.put("catalog", c.catalog()).put("schema", c.schema()).put("postgres_schema", c.postgresSchema());
        return n;
    }

    /** One table of a feed; {@code retained_wal_bytes} (an Oxbow extension) is the WAL the feed's slot held at its last pass. */
    ObjectNode cdfStatus(dev.oxbow.metadata.CdfStatus s, java.util.Optional<Long> retainedWalBytes, java.util.Optional<Long> lagBytes) {
        ObjectNode n = mapper.createObjectNode();
        n.put("name", s.name()).put("postgres_table", s.postgresTable()).put("uc_table", s.ucTable()).put("state", s.state().name());
        if (s.committedLsn() != null) n.put("committed_lsn", s.committedLsn());
        if (s.statusDetail() != null) n.put("status_detail", s.statusDetail());
        time(n, "create_time", s.createTime());
        time(n, "last_sync_time", s.lastSyncTime());
        retainedWalBytes.ifPresent(b -> n.put("retained_wal_bytes", b));
        lagBytes.ifPresent(b -> n.put("lag_bytes", b));
        return n;
    }

    /** A catalog: its spec echoed, its status naming the project, branch and database it resolves to. */
    ObjectNode catalog(dev.oxbow.metadata.PostgresCatalog c) {
        ObjectNode n = mapper.createObjectNode();
        n.put("name", c.name()).put("catalog_id", c.catalogId()).put("uid", c.uid());
        times(n, c.createTime(), c.updateTime());
        n.putObject("spec").put("branch", c.branchName()).put("postgres_database", c.postgresDatabase())
                .put("create_database_if_missing", c.createDatabaseIfMissing());
        n.putObject("status").put("project", Project.nameOf(c.projectId())).put("branch", c.branchName())
                .put("postgres_database", c.postgresDatabase());
        return n;
    }

    /** A synced table with its spec echoed and a status in the Autoscaling shape (reference §4.9). */
    ObjectNode syncedTable(dev.oxbow.metadata.SyncedTable t, java.util.Optional<dev.oxbow.sync.SyncProgress> progress) {
        ObjectNode n = mapper.createObjectNode();
        n.put("name", t.name()).put("synced_table_id", t.syncedTableId()).put("uid", t.uid());
        time(n, "create_time", t.createTime());
        ObjectNode spec = n.putObject("spec");
        spec.put("source_table_full_name", t.sourceTableFullName());
        var keys = spec.putArray("primary_key_columns");
        t.primaryKeyColumns().forEach(keys::add);
        if (t.timeseriesKey() != null) {
            spec.put("timeseries_key", t.timeseriesKey());
        }
        spec.put("scheduling_policy", t.schedulingPolicy().name()).put("branch", t.branch()).put("postgres_database", t.postgresDatabase());
        ObjectNode s = n.putObject("status");
        s.put("detailed_state", t.state().name()).put("pipeline_id", t.uid()).put("project", "projects/" + t.projectId())
                .put("unity_catalog_provisioning_state", t.state().failed() ? "DEGRADED" : "ACTIVE")
                .put("provisioning_phase", "PROVISIONING_PHASE_MAIN");
        if (t.message() != null) {
            s.put("message", t.message());
        }
        if (t.lastProcessedCommitVersion() != null) {
            s.put("last_processed_commit_version", t.lastProcessedCommitVersion());
            time(s, "last_sync_time", t.lastSyncEnd());
            ObjectNode last = s.putObject("last_sync");
            time(last, "sync_start_time", t.lastSyncStart());
            time(last, "sync_end_time", t.lastSyncEnd());
            ObjectNode delta = last.putObject("delta_table_sync_info").put("delta_commit_version", t.lastProcessedCommitVersion());
            time(delta, "delta_commit_time", t.lastCommitTime());
        }
        progress.ifPresent(p -> {
            ObjectNode o = s.putObject("ongoing_sync_progress");
            o.put("sync_progress_completion", p.completion()).put("synced_row_count", p.syncedRows())
                    .put("latest_version_currently_processing", p.version());
            if (p.totalRows() > 0) {
                o.put("total_row_count", p.totalRows());
            }
        });
        return n;
    }

    private static void pgSettings(ObjectNode n, Map<String, String> settings) {
        settings.forEach(n::put);
    }

    private static void times(ObjectNode n, Instant create, Instant update) {
        time(n, "create_time", create);
        time(n, "update_time", update);
    }

    private static void time(ObjectNode n, String field, Instant t) {
        if (t != null) {
            n.put(field, Wire.timestamp(t));
        }
    }
}
