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
        String owner,
        boolean synchronousWal) implements Resource {

    public Project {
        customTags = customTags == null ? List.of() : List.copyOf(customTags);
    }

    /** Asynchronous WAL shipping (the default); {@code synchronousWal} is an Oxbow extension, see {@link #withSynchronousWal}. */
    public Project(String projectId, String uid, Instant createTime, Instant updateTime, Instant deleteTime, Instant purgeTime,
                   String displayName, int pgVersion, long historyRetentionSeconds, EndpointDefaults defaults, String defaultBranchId,
                   String budgetPolicyId, List<Tag> customTags, boolean enablePgNativeLogin, String owner) {
        this(projectId, uid, createTime, updateTime, deleteTime, purgeTime, displayName, pgVersion, historyRetentionSeconds, defaults,
                defaultBranchId, budgetPolicyId, customTags, enablePgNativeLogin, owner, false);
    }

    /**
     * The same project with synchronous WAL: with an object store, a commit returns only once its WAL is in the
     * bucket (the primary waits for Oxbow's WAL receiver), instead of within the shipping interval after.
     */
    public Project withSynchronousWal(boolean on) {
        return new Project(projectId, uid, createTime, updateTime, deleteTime, purgeTime, displayName, pgVersion,
                historyRetentionSeconds, defaults, defaultBranchId, budgetPolicyId, customTags, enablePgNativeLogin, owner, on);
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
                historyRetentionSeconds, defaults, defaultBranchId, budgetPolicyId, customTags, enablePgNativeLogin, newOwner, synchronousWal);
    }

    public boolean deleted() {
        return deleteTime != null;
    }

    public record Tag(String key, String value) {}
}
