package dev.oxbow.controlplane.endpoint;

import dev.oxbow.metadata.EndpointState;
import dev.oxbow.controlplane.compute.ComputeSizing;
import dev.oxbow.controlplane.resource.SettingRule;
import dev.oxbow.controlplane.resource.TenantSettings;
import dev.oxbow.controlplane.resource.ApiException;
import dev.oxbow.controlplane.resource.Defaults;
import dev.oxbow.controlplane.resource.Limits;
import dev.oxbow.controlplane.resource.Specs;
import dev.oxbow.controlplane.resource.Uids;
import dev.oxbow.controlplane.resource.Validate;
import dev.oxbow.metadata.Branch;
import dev.oxbow.metadata.Endpoint;
import dev.oxbow.metadata.MetadataStore;
import dev.oxbow.metadata.Project;

import java.time.Instant;
import java.util.Map;

/** The rules an endpoint spec must obey, and how a valid spec plus project defaults becomes an endpoint record. */
public final class EndpointRules {
    private final Limits limits;
    private final Uids uids;
    private final ComputeSizing sizing;

    public EndpointRules(Limits limits, Uids uids, ComputeSizing sizing) {
        this.limits = limits;
        this.uids = uids;
        this.sizing = sizing;
    }

    public record Suspension(Long timeoutSeconds, boolean never) {}

    public Suspension suspension(String prefix, Long timeout, Boolean never, long defaultTimeout) {
        if (timeout != null && Boolean.TRUE.equals(never)) {
            throw ApiException.invalid("Fields " + prefix + "suspend_timeout_duration and " + prefix
                    + "no_suspension are mutually exclusive; set only one.");
        }
        if (Boolean.TRUE.equals(never)) {
            return new Suspension(null, true);
        }
        if (timeout == null) {
            return new Suspension(defaultTimeout, false);
        }
        Validate.suspendTimeout(prefix + "suspend_timeout_duration", timeout, limits);
        return new Suspension(timeout, false);
    }

    /** Tenant settings checked against the allow-list; memory settings may use at most the RAM of {@code maxCu}. */
    public Map<String, String> pgSettings(Map<String, String> in, String field, double maxCu) {
        return TenantSettings.validate(in, field, limits(maxCu));
    }

    /** What an endpoint that grows to {@code maxCu} may give its memory settings. */
    SettingRule.Limits limits(double maxCu) {
        return new SettingRule.Limits(sizing.memoryBytes(maxCu));
    }

    public void group(Specs.Group g) {
        if (g == null) {
            return;
        }
        int min = g.min() == null ? 0 : g.min();
        int max = g.max() == null ? 0 : g.max();
        if (min == 0 && max == 0) {
            return;
        }
        if (min < 1 || max != min) {
            throw ApiException.invalid("Fields spec.group.min and spec.group.max must be equal and at least 1, got "
                    + min + " and " + max + ".");
        }
    }

    /** A validated endpoint record in state INIT, with unset values taken from the project's defaults. */
    /** The read-write compute a new branch gets, sized by the project's defaults. */
    public Endpoint defaultPrimary(Project project, Branch branch, Instant now) {
        Specs.EndpointSpec spec = Specs.EndpointSpec.ofType(Endpoint.READ_WRITE);
        return newEndpoint(project, branch, Defaults.PRIMARY_ENDPOINT, spec, now);
    }

    public Endpoint newEndpoint(Project project, Branch branch, String endpointId, Specs.EndpointSpec spec, Instant now) {
        String type = spec.endpointType();
        if (type == null) {
            throw ApiException.required("spec.endpoint_type");
        }
        if (!Endpoint.READ_WRITE.equals(type) && !Endpoint.READ_ONLY.equals(type)) {
            throw ApiException.invalid("Field spec.endpoint_type must be ENDPOINT_TYPE_READ_WRITE or ENDPOINT_TYPE_READ_ONLY, got '" + type + "'.");
        }
        var defaults = project.defaults();
        double min = spec.minCu() != null ? spec.minCu() : spec.maxCu() != null ? Math.min(defaults.minCu(), spec.maxCu()) : defaults.minCu();
        double max = spec.maxCu() != null ? spec.maxCu() : Math.max(defaults.maxCu(), min);
        if (spec.maxCu() == null && max - min > limits.maxSpreadCu()) {
            // the widest range allowed may end between sizes (0.5 + 8 = 8.5): take the largest size inside it
            max = Validate.largestAutoscaleSizeAtMost(min + limits.maxSpreadCu(), limits);
        }
        Validate.cuRange("spec.", min, max, limits);
        Suspension suspension = spec.suspendTimeoutSeconds() == null && spec.noSuspension() == null
                ? new Suspension(defaults.suspendTimeoutSeconds(), defaults.noSuspension())
                : suspension("spec.", spec.suspendTimeoutSeconds(), spec.noSuspension(), Defaults.SUSPEND_TIMEOUT_SECONDS);
        group(spec.group());
        int groupSize = spec.group() == null || spec.group().min() == null || spec.group().min() == 0 ? 1 : spec.group().min();
        boolean readable = spec.group() != null && Boolean.TRUE.equals(spec.group().enableReadableSecondaries());
        return Endpoint.newEndpoint(project.projectId(), branch.branchId(), endpointId, uids.endpoint(), type, now)
                .minCu(min).maxCu(max).suspendTimeoutSeconds(suspension.timeoutSeconds()).noSuspension(suspension.never())
                .disabled(Boolean.TRUE.equals(spec.disabled())).pgSettings(pgSettings(spec.pgSettings(), "spec.settings.pg_settings", max))
                .groupMin(groupSize).groupMax(groupSize).enableReadableSecondaries(readable).build();
    }

    /** Refuses a change that would give the project more running (not disabled, not IDLE) computes than its quota. */
    public void checkActiveComputes(MetadataStore store, Project project, int adding) {
        long active = store.endpoints().listUnder(project.name() + "/").stream()
                .filter(e -> !e.disabled() && e.state() != EndpointState.IDLE).count();
        if (active + adding > limits.activeComputesPerProject()) {
            throw ApiException.quota("Project " + project.name() + " would have " + (active + adding)
                    + " active computes, the limit is " + limits.activeComputesPerProject() + "; suspend or delete computes first.");
        }
    }
}
