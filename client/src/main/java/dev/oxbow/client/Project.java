package dev.oxbow.client;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/** A project (api.md §4.1): the top of the hierarchy; GET answers carry status only. */
public record Project(String name, String projectId, String uid, Instant createTime, Instant updateTime, Instant deleteTime,
                      Instant purgeTime, Spec spec, Status status, InitialBranchSpec initialBranchSpec) {

    /** A create/update body with just a spec. */
    public static Project of(Spec spec) {
        return new Project(null, null, null, null, null, null, null, spec, null, null);
    }

    public record Spec(String displayName, Integer pgVersion, String historyRetentionDuration,
                       DefaultEndpointSettings defaultEndpointSettings, String defaultBranch, String budgetPolicyId,
                       List<CustomTag> customTags, Boolean enablePgNativeLogin) {
        public static Spec displayName(String displayName) {
            return new Spec(displayName, null, null, null, null, null, null, null);
        }
    }

    public record Status(String projectId, String displayName, Integer pgVersion, String historyRetentionDuration,
                         String defaultBranch, DefaultEndpointSettings defaultEndpointSettings, String budgetPolicyId,
                         List<CustomTag> customTags, Boolean enablePgNativeLogin, String owner,
                         Long branchLogicalSizeLimitBytes, Long syntheticStorageSizeBytes, Instant computeLastActiveTime) {}

    public record DefaultEndpointSettings(Double autoscalingLimitMinCu, Double autoscalingLimitMaxCu, String suspendTimeoutDuration,
                                          Boolean noSuspension, Map<String, String> pgSettings) {}

    public record CustomTag(String key, String value) {}

    public record InitialBranchSpec(Boolean isProtected) {}
}
