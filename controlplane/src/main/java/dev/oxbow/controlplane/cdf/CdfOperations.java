package dev.oxbow.controlplane.cdf;

import dev.oxbow.controlplane.compute.Computes;
import dev.oxbow.controlplane.operation.OperationContext;
import dev.oxbow.controlplane.operation.OperationHandler;
import dev.oxbow.controlplane.operation.OperationRequest;
import dev.oxbow.controlplane.operation.OperationRequestCodec;
import dev.oxbow.controlplane.operation.OperationResult;
import dev.oxbow.controlplane.resource.ApiException;
import dev.oxbow.metadata.Branch;
import dev.oxbow.metadata.CdfConfig;
import dev.oxbow.metadata.MetadataStore;
import dev.oxbow.metadata.Operation;
import dev.oxbow.metadata.OperationKind;
import dev.oxbow.metadata.Project;
import dev.oxbow.sync.cdf.ChangeFeed;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Map;

/**
 * CREATE_CDF_CONFIG: makes sure the branch's compute decodes WAL (restarting it with {@code wal_level=logical} if it
 * runs without), then starts following the feed (its first pass makes the slot and snapshots the tables).
 * DELETE_CDF_CONFIG: stops the feed, drops its slot and publication (the Delta tables stay), removes the records.
 */
public final class CdfOperations {
    private static final Logger log = LoggerFactory.getLogger(CdfOperations.class);
    private final MetadataStore store;
    private final Computes computes;
    private final CdfRunner runner;
    private final OperationRequestCodec requests = new OperationRequestCodec();

    public CdfOperations(MetadataStore store, Computes computes, CdfRunner runner) {
        this.store = store;
        this.computes = computes;
        this.runner = runner;
    }

    public Map<OperationKind, OperationHandler> handlers() {
        OperationHandler create = new OperationHandler() {
            @Override
            public OperationResult run(Operation op, OperationContext ctx) throws Exception {
                CdfConfig config = config(op);
                Branch branch = store.branches().get(config.branchName()).orElseThrow(() -> ApiException.notFound("branch", config.branchName()));
                Project project = store.projects().get(Project.nameOf(config.projectId())).orElseThrow();
                if (computes.running(computes.readWriteEndpoint(branch)) && !logical(project, branch, config)) {
                    // wal_level takes a restart; the record above makes the compute's settings ask for logical
                    computes.restart(project, branch, computes.readWriteEndpoint(branch));
                }
                runner.follow(config.name());
                return OperationResult.of(config);
            }

            @Override
            public void compensate(Operation op) {
                store.cdfConfigs().delete(op.resourceName());
            }
        };
        OperationHandler delete = (op, ctx) -> {
            boolean force = requests.read(op, OperationRequest.DeleteCdfConfig.class).force();
            CdfConfig config = config(op);
            runner.stopFollowing(config.name());
            Branch branch = store.branches().get(config.branchName()).orElse(null);
            Project project = store.projects().get(Project.nameOf(config.projectId())).orElse(null);
            if (branch != null && project != null && !branch.deleted()) {
                try (Computes.Lease lease = computes.leasePrimary(project, branch, "cdf drop");
                     Connection c = computes.connect(project, branch, config.postgresDatabase())) {
                    ChangeFeed.drop(c, "oxbow_cdf_" + config.feedId());
                } catch (Exception e) {
                    if (!force) throw e;
                    log.warn("cdf delete: slot not dropped config={} cause={}", config.name(), e.toString());
                }
            }
            store.transaction(() -> {
                store.cdfStatuses().list(config.name()).forEach(s -> store.cdfStatuses().delete(s.name()));
                store.cdfConfigs().delete(config.name());
            });
            return OperationResult.empty();
        };
        return Map.of(OperationKind.CREATE_CDF_CONFIG, create, OperationKind.DELETE_CDF_CONFIG, delete);
    }

    private CdfConfig config(Operation op) {
        return store.cdfConfigs().get(op.resourceName()).orElseThrow(() -> ApiException.notFound("cdf config", op.resourceName()));
    }

    private boolean logical(Project project, Branch branch, CdfConfig config) throws Exception {
        try (Computes.Lease lease = computes.leasePrimary(project, branch, "cdf check");
             Connection c = computes.connect(project, branch, config.postgresDatabase());
             Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SHOW wal_level")) {
            rs.next();
            return rs.getString(1).equals("logical");
        }
    }
}
