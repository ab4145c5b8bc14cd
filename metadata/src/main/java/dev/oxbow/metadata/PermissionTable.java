package dev.oxbow.metadata;

import java.util.List;

/** Grants on projects. */
public final class PermissionTable {
    private final SqliteDatabase db;

    PermissionTable(SqliteDatabase db) {
        this.db = db;
    }

    public void put(Permission p) {
        db.update("INSERT INTO project_permissions (project_id, principal_kind, principal, level) VALUES (?, ?, ?, ?) "
                + "ON CONFLICT (project_id, principal_kind, principal) DO UPDATE SET level = excluded.level",
                p.projectId(), p.principalKind(), p.principal(), p.level());
    }

    public boolean delete(String projectId, String principalKind, String principal) {
        return db.update("DELETE FROM project_permissions WHERE project_id = ? AND principal_kind = ? AND principal = ?",
                projectId, principalKind, principal) > 0;
    }

    /** Removes every grant of one principal, on every project: a deleted identity leaves nothing for a namesake. */
    public void deletePrincipal(String principalKind, String principal) {
        db.update("DELETE FROM project_permissions WHERE principal_kind = ? AND principal = ?", principalKind, principal);
    }

    public void deleteAll(String projectId) {
        db.update("DELETE FROM project_permissions WHERE project_id = ?", projectId);
    }

    public List<Permission> of(String projectId) {
        return db.query("SELECT project_id, principal_kind, principal, level FROM project_permissions WHERE project_id = ? ORDER BY principal_kind, principal",
                4, projectId).stream().map(r -> new Permission(r[0], r[1], r[2], r[3])).toList();
    }
}
