package dev.oxbow.controlplane.identity;

import dev.oxbow.controlplane.resource.ApiException;
import dev.oxbow.metadata.CatalogPermission;
import dev.oxbow.metadata.MetadataStore;
import dev.oxbow.metadata.Permission;

import java.util.List;

/**
 * Who may use or manage a project, and who may sync from a source catalog: the one writer of both grant tables.
 * Every granted principal must exist; a change is written in one transaction, replacing or adding to the grants.
 */
public final class PermissionService {
    private final MetadataStore store;

    public PermissionService(MetadataStore store) {
        this.store = store;
    }

    public List<Permission> projectGrants(String projectId) {
        return store.permissions().of(projectId);
    }

    public List<CatalogPermission> catalogGrants(String catalog) {
        return store.catalogPermissions().of(catalog);
    }

    /** Grants on project {@code projectId}: all of them ({@code replace}) or added to the present ones. */
    public void grantOnProject(String projectId, List<Permission> grants, boolean replace) {
        grants.forEach(g -> requireExists(g.principalKind(), g.principal()));
        store.transaction(() -> {
            if (replace) {
                store.permissions().deleteAll(projectId);
            }
            grants.forEach(store.permissions()::put);
        });
    }

    /** Grants on source catalog {@code catalog}: all of them ({@code replace}) or added to the present ones. */
    public void grantOnCatalog(String catalog, List<CatalogPermission> grants, boolean replace) {
        grants.forEach(g -> requireExists(g.principalKind(), g.principal()));
        store.transaction(() -> {
            if (replace) {
                store.catalogPermissions().deleteAll(catalog);
            }
            grants.forEach(store.catalogPermissions()::put);
        });
    }

    private void requireExists(String kind, String name) {
        boolean exists = switch (kind) {
            case Principal.USER -> store.identities().userByName(name).isPresent();
            case Principal.SERVICE_PRINCIPAL -> store.identities().servicePrincipalByApplicationId(name).isPresent();
            case Principal.GROUP -> store.identities().groupByName(name).isPresent();
            default -> throw new IllegalArgumentException("unknown principal kind " + kind);
        };
        if (!exists) {
            throw ApiException.notFound(switch (kind) {
                case Principal.USER -> "user";
                case Principal.SERVICE_PRINCIPAL -> "service principal";
                default -> "group";
            }, name);
        }
    }
}
