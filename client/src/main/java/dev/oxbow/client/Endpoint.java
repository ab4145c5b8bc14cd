package dev.oxbow.client;

import java.time.Instant;
import java.util.Map;

/** An endpoint (api.md §4.3): the compute serving a branch, read-write or read-only. */
public record Endpoint(String name, String endpointId, String parent, String uid, Instant createTime, Instant updateTime,
                       Spec spec, Status status) {
    public static final String READ_WRITE = "ENDPOINT_TYPE_READ_WRITE";
    public static final String READ_ONLY = "ENDPOINT_TYPE_READ_ONLY";

    public static Endpoint of(Spec spec) {
        return new Endpoint(null, null, null, null, null, null, spec, null);
    }

    /** {@code suspendTimeoutDuration} and {@code noSuspension} exclude each other (mask path spec.suspension). */
    public record Spec(String endpointType, Double autoscalingLimitMinCu, Double autoscalingLimitMaxCu, String suspendTimeoutDuration,
                       Boolean noSuspension, Boolean disabled, Group group, Settings settings) {}

    public record Status(String endpointId, String endpointType, String currentState, String pendingState,
                         Double autoscalingLimitMinCu, Double autoscalingLimitMaxCu, String suspendTimeoutDuration,
                         Boolean disabled, Group group, Hosts hosts, Settings settings, Instant lastActiveTime) {}

    public record Hosts(String host, String readOnlyHost, String readOnlyPooledHost, String readWritePooledHost) {}

    public record Group(Integer min, Integer max, Boolean enableReadableSecondaries) {}

    public record Settings(Map<String, String> pgSettings) {}
}
