package dev.oxbow.metadata;

import java.time.Instant;
import java.util.Map;

/**
 * A compute endpoint. A null {@code suspendTimeoutSeconds} with {@code noSuspension} false never happens after validation.
 */
public record Endpoint(
        String projectId,
        String branchId,
        String endpointId,
        String uid,
        Instant createTime,
        Instant updateTime,
        String endpointType,
        EndpointState state,
        EndpointState pendingState,
        double minCu,
        double maxCu,
        Long suspendTimeoutSeconds,
        boolean noSuspension,
        boolean disabled,
        Map<String, String> pgSettings,
        int groupMin,
        int groupMax,
        boolean enableReadableSecondaries,
        Instant lastActiveTime) implements Resource {

    public static final String READ_WRITE = "ENDPOINT_TYPE_READ_WRITE";
    public static final String READ_ONLY = "ENDPOINT_TYPE_READ_ONLY";

    public Endpoint {
        pgSettings = pgSettings == null ? Map.of() : Map.copyOf(pgSettings);
    }

    public static String nameOf(String projectId, String branchId, String endpointId) {
        return Branch.nameOf(projectId, branchId) + "/endpoints/" + endpointId;
    }

    @Override
    public String name() {
        return nameOf(projectId, branchId, endpointId);
    }

    @Override
    public String parentName() {
        return Branch.nameOf(projectId, branchId);
    }

    public boolean readWrite() {
        return READ_WRITE.equals(endpointType);
    }

    public Endpoint withState(EndpointState newState, Instant now) {
        return toBuilder().updateTime(now).state(newState).pendingState(null)
                .lastActiveTime(newState == EndpointState.ACTIVE ? now : lastActiveTime).build();
    }

    /** A new endpoint of {@code endpointType}, INIT on its way to ACTIVE, created {@code now}; the caller sets its size and rules. */
    public static Builder newEndpoint(String projectId, String branchId, String endpointId, String uid, String endpointType, Instant now) {
        return new Builder().projectId(projectId).branchId(branchId).endpointId(endpointId).uid(uid).createTime(now).updateTime(now)
                .endpointType(endpointType).state(EndpointState.INIT).pendingState(EndpointState.ACTIVE).groupMin(1).groupMax(1);
    }

    /** This endpoint as a builder, so a change names the fields it sets. */
    public Builder toBuilder() {
        return new Builder()
                .projectId(projectId).branchId(branchId).endpointId(endpointId).uid(uid).createTime(createTime)
                .updateTime(updateTime).endpointType(endpointType).state(state).pendingState(pendingState).minCu(minCu)
                .maxCu(maxCu).suspendTimeoutSeconds(suspendTimeoutSeconds).noSuspension(noSuspension).disabled(disabled)
                .pgSettings(pgSettings).groupMin(groupMin).groupMax(groupMax)
                .enableReadableSecondaries(enableReadableSecondaries).lastActiveTime(lastActiveTime);
    }

    /** Builds an {@link Endpoint} field by field. */
    public static final class Builder {
        private String projectId;
        private String branchId;
        private String endpointId;
        private String uid;
        private Instant createTime;
        private Instant updateTime;
        private String endpointType;
        private EndpointState state;
        private EndpointState pendingState;
        private double minCu;
        private double maxCu;
        private Long suspendTimeoutSeconds;
        private boolean noSuspension;
        private boolean disabled;
        private Map<String, String> pgSettings;
        private int groupMin;
        private int groupMax;
        private boolean enableReadableSecondaries;
        private Instant lastActiveTime;

        private Builder() {}

        public Builder projectId(String projectId) {
            this.projectId = projectId;
            return this;
        }

        public Builder branchId(String branchId) {
            this.branchId = branchId;
            return this;
        }

        public Builder endpointId(String endpointId) {
            this.endpointId = endpointId;
            return this;
        }

        public Builder uid(String uid) {
            this.uid = uid;
            return this;
        }

        public Builder createTime(Instant createTime) {
            this.createTime = createTime;
            return this;
        }

        public Builder updateTime(Instant updateTime) {
            this.updateTime = updateTime;
            return this;
        }

        public Builder endpointType(String endpointType) {
            this.endpointType = endpointType;
            return this;
        }

        public Builder state(EndpointState state) {
            this.state = state;
            return this;
        }

        public Builder pendingState(EndpointState pendingState) {
            this.pendingState = pendingState;
            return this;
        }

        public Builder minCu(double minCu) {
            this.minCu = minCu;
            return this;
        }

        public Builder maxCu(double maxCu) {
            this.maxCu = maxCu;
            return this;
        }

        public Builder suspendTimeoutSeconds(Long suspendTimeoutSeconds) {
            this.suspendTimeoutSeconds = suspendTimeoutSeconds;
            return this;
        }

        public Builder noSuspension(boolean noSuspension) {
            this.noSuspension = noSuspension;
            return this;
        }

        public Builder disabled(boolean disabled) {
            this.disabled = disabled;
            return this;
        }

        public Builder pgSettings(Map<String, String> pgSettings) {
            this.pgSettings = pgSettings;
            return this;
        }

        public Builder groupMin(int groupMin) {
            this.groupMin = groupMin;
            return this;
        }

        public Builder groupMax(int groupMax) {
            this.groupMax = groupMax;
            return this;
        }

        public Builder enableReadableSecondaries(boolean enableReadableSecondaries) {
            this.enableReadableSecondaries = enableReadableSecondaries;
            return this;
        }

        public Builder lastActiveTime(Instant lastActiveTime) {
            this.lastActiveTime = lastActiveTime;
            return this;
        }

        public Endpoint build() {
            return new Endpoint(projectId, branchId, endpointId, uid, createTime, updateTime, endpointType, state,
                    pendingState, minCu, maxCu, suspendTimeoutSeconds, noSuspension, disabled, pgSettings, groupMin,
                    groupMax, enableReadableSecondaries, lastActiveTime);
        }
    }
}
