package dev.oxbow.metadata;

import java.time.Instant;
import java.util.List;

/** A project as Oxbow stores it: its effective settings (what the API reports under {@code status}). */
public record Project(
        String projectId,
        String uid,
        Instant createTime,
        Instant updateTime,
        Instant deleteTime,
        Instant purgeTime,
        String displayName,
        int pgVersion,
        long historyRetentionSeconds,
        EndpointDefaults defaults,
        String defaultBranchId,
        String budgetPolicyId,
        List<Tag> customTags,
        boolean enablePgNativeLogin,
        String owner) implements Resource {

    public Project {
        customTags = customTags == null ? List.of() : List.copyOf(customTags);
    }

    public static String nameOf(String projectId) {
        return "projects/" + projectId;
    }

    @Override
    public String name() {
        return nameOf(projectId);
    }

    @Override
    public String parentName() {
        return "";
    }

    /** The same project with another owner (null: the owner was deleted; admins manage it). */
    public Project withOwner(String newOwner) {
        return new Project(projectId, uid, createTime, updateTime, deleteTime, purgeTime, displayName, pgVersion,
                historyRetentionSeconds, defaults, defaultBranchId, budgetPolicyId, customTags, enablePgNativeLogin, newOwner);
    }

    public boolean deleted() {
        return deleteTime != null;
    }

    public record Tag(String key, String value) {}
}
