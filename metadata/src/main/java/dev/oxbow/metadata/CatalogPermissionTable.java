package dev.oxbow.metadata;

import java.util.List;

/** Grants on source catalogs. */
public final class CatalogPermissionTable {
    private final SqliteDatabase db;

    CatalogPermissionTable(SqliteDatabase db) {
        this.db = db;
    }

    public void put(CatalogPermission p) {
        db.update("INSERT INTO catalog_permissions (catalog, principal_kind, principal, level) VALUES (?, ?, ?, ?) "
                + "ON CONFLICT (catalog, principal_kind, principal) DO UPDATE SET level = excluded.level",
                p.catalog(), p.principalKind(), p.principal(), p.level());
    }

    public void deleteAll(String catalog) {
        db.update("DELETE FROM catalog_permissions WHERE catalog = ?", catalog);
    }

    public List<CatalogPermission> of(String catalog) {
        return db.query("SELECT catalog, principal_kind, principal, level FROM catalog_permissions WHERE catalog = ? ORDER BY principal_kind, principal",
                4, catalog).stream().map(r -> new CatalogPermission(r[0], r[1], r[2], r[3])).toList();
    }
}
