package dev.oxbow.controlplane.resource;

import dev.oxbow.metadata.Branch;
import dev.oxbow.metadata.Database;
import dev.oxbow.metadata.Endpoint;
import dev.oxbow.metadata.MetadataStore;
import dev.oxbow.metadata.Project;
import dev.oxbow.metadata.Role;

import java.time.Instant;

/** Looks resources up by name and turns "missing" into the API's NOT_FOUND. */
public final class Resources {
    private final MetadataStore store;

    public Resources(MetadataStore store) {
        this.store = store;
    }

    /** The project, soft-deleted or not. */
    public Project project(String name) {
        Names.parse(name, "projects");
        return store.projects().get(name).orElseThrow(() -> ApiException.notFound("project", name));
    }

    public Project liveProject(String name) {
        Project p = project(name);
        if (p.deleted()) {
            throw ApiException.notFound("project", name);
        }
        return p;
    }

    public Project projectOf(String projectId) {
        return liveProject(Project.nameOf(projectId));
    }

    /** The branch, soft-deleted or not, in a live project. */
    public Branch branch(String name) {
        String[] ids = Names.parse(name, "projects", "branches");
        projectOf(ids[0]);
        return store.branches().get(name).orElseThrow(() -> ApiException.notFound("branch", name));
    }

    public Branch liveBranch(String name) {
        Branch b = branch(name);
        if (b.deleted()) {
            throw ApiException.notFound("branch", name);
        }
        return b;
    }

    /** Accepts a full branch name or a bare branch id of the project. */
    public String branchName(String projectId, String raw) {
        return raw.startsWith("projects/") ? raw : Branch.nameOf(projectId, raw);
    }

    public Endpoint endpoint(String name) {
        String[] ids = Names.parse(name, "projects", "branches", "endpoints");
        liveBranch(Branch.nameOf(ids[0], ids[1]));
        return store.endpoints().get(name).orElseThrow(() -> ApiException.notFound("endpoint", name));
    }

    public Role role(String name) {
        String[] ids = Names.parse(name, "projects", "branches", "roles");
        liveBranch(Branch.nameOf(ids[0], ids[1]));
        return store.roles().get(name).orElseThrow(() -> ApiException.notFound("role", name));
    }

    public Database database(String name) {
        String[] ids = Names.parse(name, "projects", "branches", "databases");
        liveBranch(Branch.nameOf(ids[0], ids[1]));
        return store.databases().get(name).orElseThrow(() -> ApiException.notFound("database", name));
    }

    public boolean hasChildren(Branch branch) {
        return store.branches().list(branch.parentName()).stream()
                .anyMatch(b -> !b.deleted() && branch.branchId().equals(b.sourceBranchId()));
    }

    public Branch withDefault(Branch b, boolean isDefault, Instant now) {
        return b.toBuilder().updateTime(now).isDefault(isDefault).build();
    }
}
