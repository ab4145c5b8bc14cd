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
        return new Endpoint(projectId, branchId, endpointId, uid, createTime, now, endpointType, newState, null,
                minCu, maxCu, suspendTimeoutSeconds, noSuspension, disabled, pgSettings, groupMin, groupMax,
                enableReadableSecondaries, newState == EndpointState.ACTIVE ? now : lastActiveTime);
    }
}
