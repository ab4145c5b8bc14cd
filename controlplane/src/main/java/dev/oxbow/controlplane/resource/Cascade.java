package dev.oxbow.controlplane.resource;

import dev.oxbow.metadata.Branch;
import dev.oxbow.metadata.MetadataStore;
import dev.oxbow.metadata.Project;

/** Removes the metadata of a branch or project and everything under it, in one transaction. */
public final class Cascade {
    private Cascade() {}

    public static void deleteBranch(MetadataStore store, String branchName) {
        store.transaction(() -> {
            store.endpoints().list(branchName).forEach(e -> store.endpoints().delete(e.name()));
            store.roles().list(branchName).forEach(r -> store.roles().delete(r.name()));
            store.databases().list(branchName).forEach(d -> store.databases().delete(d.name()));
            store.snapshotSchedules().delete(branchName + dev.oxbow.metadata.SnapshotSchedule.SUFFIX);
            store.catalogs().list(branchName).forEach(c -> store.catalogs().delete(c.name()));
            store.branches().delete(branchName);
        });
    }

    public static void deleteProject(MetadataStore store, String projectName) {
        store.transaction(() -> {
            for (Branch b : store.branches().list(projectName)) {
                deleteBranch(store, b.name());
            }
            store.snapshots().list(projectName).forEach(s -> store.snapshots().delete(s.name()));
            store.maskingPolicies().delete(projectName + dev.oxbow.metadata.MaskingPolicy.SUFFIX);
            store.projects().delete(projectName);
            store.permissions().deleteAll(projectName.substring("projects/".length()));
        });
    }

    public static Project requireProject(MetadataStore store, String name) {
        return store.projects().get(name).orElseThrow(() -> ApiException.notFound("project", name));
    }

    public static Branch requireBranch(MetadataStore store, String name) {
        return store.branches().get(name).orElseThrow(() -> ApiException.notFound("branch", name));
    }
}
