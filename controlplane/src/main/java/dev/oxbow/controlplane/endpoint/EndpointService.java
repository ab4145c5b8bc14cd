package dev.oxbow.controlplane.endpoint;

import dev.oxbow.controlplane.operation.OperationRequest;
import dev.oxbow.metadata.OperationKind;
import dev.oxbow.metadata.BranchState;
import dev.oxbow.controlplane.operation.OperationExecutor;
import dev.oxbow.controlplane.resource.ApiException;
import dev.oxbow.controlplane.resource.Defaults;
import dev.oxbow.controlplane.resource.Limits;
import dev.oxbow.controlplane.resource.ListResult;
import dev.oxbow.controlplane.resource.Paging;
import dev.oxbow.controlplane.resource.Resources;
import dev.oxbow.controlplane.resource.Specs;
import dev.oxbow.controlplane.resource.UpdateMask;
import dev.oxbow.controlplane.resource.Validate;
import dev.oxbow.metadata.Branch;
import dev.oxbow.metadata.Endpoint;
import dev.oxbow.metadata.MetadataStore;
import dev.oxbow.metadata.Operation;
import dev.oxbow.metadata.Project;

import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.Set;

/** Endpoints (computes): validation and acceptance; {@link EndpointOperations} does the work. */
public final class EndpointService {
    private static final String METADATA = "EndpointOperationMetadata";
    private static final Set<String> UPDATABLE = Set.of("spec.autoscaling_limit_min_cu", "spec.autoscaling_limit_max_cu",
            "spec.suspension", "spec.suspend_timeout_duration", "spec.no_suspension", "spec.disabled", "spec.settings",
            "spec.settings.pg_settings", "spec.group", "spec.endpoint_type");

    private final MetadataStore store;
    private final OperationExecutor ops;
    private final Resources resources;
    private final EndpointRules rules;
    private final Limits limits;
    private final Clock clock;

    public EndpointService(MetadataStore store, OperationExecutor ops, Resources resources, EndpointRules rules,
                           Limits limits, Clock clock) {
        this.store = store;
        this.ops = ops;
        this.resources = resources;
        this.rules = rules;
        this.limits = limits;
        this.clock = clock;
    }

    public Operation create(String parent, String endpointId, Specs.EndpointSpec spec, boolean replaceExisting) {
        Branch branch = resources.liveBranch(parent);
        Project project = resources.projectOf(branch.projectId());
        Validate.id("endpoint_id", endpointId);
        Specs.EndpointSpec s = spec == null ? Specs.EndpointSpec.EMPTY : spec;
        String name = Endpoint.nameOf(branch.projectId(), branch.branchId(), endpointId);
        var existing = store.endpoints().get(name);
        if (existing.isPresent()) {
            if (!replaceExisting) {
                throw ApiException.alreadyExists("endpoint with such id already exists: " + name);
            }
            return replace(existing.get(), project, branch, s);
        }
        Instant now = clock.instant();
        Endpoint endpoint = rules.newEndpoint(project, branch, endpointId, s, now);
        if (!endpoint.readWrite() && branch.state() != BranchState.READY) {
            throw ApiException.invalidState("Branch " + branch.name() + " is " + branch.state() + "; add read replicas once it is READY.");
        }
        Operation op = ops.create(name, branch.projectId(), OperationKind.CREATE_ENDPOINT, METADATA, OperationRequest.NONE);
        store.transaction(() -> {
            if (store.endpoints().get(name).isPresent()) {
                throw ApiException.alreadyExists("endpoint with such id already exists: " + name);
            }
            store.endpoints().list(branch.name()).stream().filter(e -> endpoint.readWrite() && e.readWrite()).findFirst().ifPresent(rw -> {
                throw ApiException.alreadyExists("Branch " + branch.name() + " already has its read-write endpoint '"
                        + rw.endpointId() + "'; a branch has exactly one. Create a read-only endpoint or update '" + rw.endpointId() + "'.");
            });
            if (!endpoint.disabled()) {
                rules.checkActiveComputes(store, project, 1);
            }
            store.endpoints().insert(endpoint);
            store.operations().put(op);
        });
        ops.submit(op);
        return op;
    }

    /** replace_existing: the existing endpoint takes every value the new spec sets. */
    private Operation replace(Endpoint current, Project project, Branch branch, Specs.EndpointSpec s) {
        Set<String> mask = new java.util.LinkedHashSet<>();
        if (s.minCu() != null) mask.add("spec.autoscaling_limit_min_cu");
        if (s.maxCu() != null) mask.add("spec.autoscaling_limit_max_cu");
        if (s.suspendTimeoutSeconds() != null || s.noSuspension() != null) mask.add("spec.suspension");
        if (s.disabled() != null) mask.add("spec.disabled");
        if (s.pgSettings() != null) mask.add("spec.settings");
        if (s.group() != null) mask.add("spec.group");
        if (s.endpointType() != null) mask.add("spec.endpoint_type");
        if (mask.isEmpty()) {
            mask.add("spec.endpoint_type");
            s = Specs.EndpointSpec.ofType(current.endpointType());
        }
        return update(current.name(), s, mask);
    }

    public Endpoint get(String name) {
        return resources.endpoint(name);
    }

    /** The endpoint named {@code ref} (a full name with '/'), or else the one whose uid it is; empty if none. */
    public java.util.Optional<Endpoint> find(String ref) {
        return ref.contains("/") ? store.endpoints().get(ref) : store.endpoints().getByUid(ref);
    }

    public ListResult<Endpoint> list(String parent, Integer pageSize, String pageToken) {
        Branch branch = resources.liveBranch(parent);
        return Paging.list(store.endpoints(), branch.name(), pageSize, pageToken);
    }

    public Operation update(String name, Specs.EndpointSpec spec, Set<String> mask) {
        Endpoint current = resources.endpoint(name);
        Project project = resources.projectOf(current.projectId());
        Set<String> paths = UpdateMask.check(mask, UPDATABLE);
        Specs.EndpointSpec s = spec == null ? Specs.EndpointSpec.EMPTY : spec;
        double min = current.minCu();
        double max = current.maxCu();
        Long timeout = current.suspendTimeoutSeconds();
        boolean never = current.noSuspension();
        boolean disabled = current.disabled();
        Map<String, String> settings = current.pgSettings();
        boolean settingsChange = false;
        int group = current.groupMin();
        boolean readable = current.enableReadableSecondaries();
        for (String path : paths) {
            switch (path) {
                case "spec.autoscaling_limit_min_cu" -> min = required(s.minCu(), path);
                case "spec.autoscaling_limit_max_cu" -> max = required(s.maxCu(), path);
                case "spec.suspension", "spec.suspend_timeout_duration", "spec.no_suspension" -> {
                    if (s.suspendTimeoutSeconds() == null && s.noSuspension() == null) {
                        throw ApiException.invalid("update_mask names " + path + " but the body sets neither spec.suspend_timeout_duration nor spec.no_suspension.");
                    }
                    var suspension = rules.suspension("spec.", s.suspendTimeoutSeconds(), s.noSuspension(), Defaults.SUSPEND_TIMEOUT_SECONDS);
                    if (Boolean.FALSE.equals(s.noSuspension()) && s.suspendTimeoutSeconds() == null) {
                        suspension = new EndpointRules.Suspension(project.defaults().suspendTimeoutSeconds() == null
                                ? Defaults.SUSPEND_TIMEOUT_SECONDS : project.defaults().suspendTimeoutSeconds(), false);
                    }
                    timeout = suspension.timeoutSeconds();
                    never = suspension.never();
                }
                case "spec.disabled" -> disabled = Boolean.TRUE.equals(s.disabled());
                case "spec.settings", "spec.settings.pg_settings" -> settingsChange = true;
                case "spec.group" -> {
                    rules.group(s.group());
                    if (s.group() != null && s.group().min() != null && s.group().min() > 0) {
                        group = s.group().min();
                        readable = Boolean.TRUE.equals(s.group().enableReadableSecondaries());
                    }
                }
                case "spec.endpoint_type" -> {
                    if (s.endpointType() != null && !s.endpointType().equals(current.endpointType())) {
                        throw ApiException.invalid("spec.endpoint_type cannot change (it is " + current.endpointType()
                                + "); create a new endpoint of the other type instead.");
                    }
                }
                default -> throw new IllegalStateException(path);
            }
        }
        Validate.cuRange("spec.", min, max, limits);
        if (settingsChange) {
            settings = rules.pgSettings(s.pgSettings(), "spec.settings.pg_settings", max); // memory is checked against the new max
        }
        Instant now = clock.instant();
        Endpoint updated = current.toBuilder().updateTime(now).minCu(min).maxCu(max).suspendTimeoutSeconds(timeout)
                .noSuspension(never).disabled(disabled).pgSettings(settings).groupMin(group).groupMax(group)
                .enableReadableSecondaries(readable).build();
        Operation op = ops.create(name, current.projectId(), OperationKind.UPDATE_ENDPOINT, METADATA, new OperationRequest.UpdateEndpoint(current));
        boolean enabling = current.disabled() && !disabled;
        store.transaction(() -> {
            if (enabling) {
                rules.checkActiveComputes(store, project, 1);
            }
            store.endpoints().put(updated);
            store.operations().put(op);
        });
        ops.submit(op);
        return op;
    }

    public Operation delete(String name) {
        Endpoint endpoint = resources.endpoint(name);
        Branch branch = resources.liveBranch(endpoint.parentName());
        if (endpoint.readWrite()) {
            throw ApiException.managedByParent("Read-write endpoints cannot be deleted. " + name
                    + " lives as long as its branch; set spec.disabled=true to stop it.");
        }
        if (branch.isProtected()) {
            throw ApiException.badRequest("Computes of protected branch " + branch.name() + " cannot be deleted; unprotect the branch first.");
        }
        Operation op = ops.create(name, endpoint.projectId(), OperationKind.DELETE_ENDPOINT, METADATA, OperationRequest.NONE);
        store.operations().put(op);
        ops.submit(op);
        return op;
    }

    private static double required(Double value, String path) {
        if (value == null) {
            throw ApiException.invalid("update_mask names " + path + " but the body does not set it.");
        }
        return value;
    }
}
