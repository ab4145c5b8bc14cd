package dev.oxbow.controlplane.identity;

import dev.oxbow.controlplane.resource.ApiException;
import dev.oxbow.metadata.Group;
import dev.oxbow.metadata.MetadataStore;
import dev.oxbow.metadata.Permission;
import dev.oxbow.metadata.Project;

import java.util.Set;
import java.util.stream.Collectors;

/**
 * Who may do what to a project: admins everything; the creator owns it (CAN_MANAGE); others what they
 * were granted directly or through a group. A project a caller cannot use does not exist for them (404);
 * an action above their level is 403.
 */
public final class AccessControl {
    public enum Level { NONE, CAN_USE, CAN_MANAGE }

    private final MetadataStore store;

    public AccessControl(MetadataStore store) {
        this.store = store;
    }

    public Level level(Principal p, Project project) {
        if (p.admin() || p.name().equals(project.owner())) {
            return Level.CAN_MANAGE;
        }
        Set<String> groups = groupsOf(p);
        Level best = Level.NONE;
        for (Permission grant : store.permissions().of(project.projectId())) {
            if (applies(p, groups, grant.principalKind(), grant.principal())) {
                Level l = Level.valueOf(grant.level());
                if (l.ordinal() > best.ordinal()) {
                    best = l;
                }
            }
        }
        return best;
    }

    private Set<String> groupsOf(Principal p) {
        return store.identities().groups().stream().filter(g -> g.memberIds().contains(p.id()))
                .map(Group::displayName).collect(Collectors.toSet());
    }

    private static boolean applies(Principal p, Set<String> groups, String principalKind, String principal) {
        return principalKind.equals(Principal.GROUP) ? groups.contains(principal)
                : principalKind.equals(p.kind()) && principal.equals(p.name());
    }

    /** Whether {@code p} may sync from the source catalog {@code catalog}: admins always, others when granted CAN_USE. */
    public boolean canUseCatalog(Principal p, String catalog) {
        if (p.admin()) {
            return true;
        }
        Set<String> groups = groupsOf(p);
        return store.catalogPermissions().of(catalog).stream().anyMatch(g -> applies(p, groups, g.principalKind(), g.principal()));
    }

    /** Whether {@code p} may write change feeds into catalog {@code catalog}: admins always, others when granted CAN_MANAGE on it. */
    public boolean canWriteCatalog(Principal p, String catalog) {
        if (p.admin()) {
            return true;
        }
        Set<String> groups = groupsOf(p);
        return store.catalogPermissions().of(catalog).stream()
                .anyMatch(g -> g.level().equals("CAN_MANAGE") && applies(p, groups, g.principalKind(), g.principal()));
    }

    public void requireUse(Principal p, Project project) {
        if (level(p, project) == Level.NONE) {
            throw ApiException.notFound("project", project.name());
        }
    }

    public void requireManage(Principal p, Project project) {
        Level l = level(p, project);
        if (l == Level.NONE) {
            throw ApiException.notFound("project", project.name());
        }
        if (l != Level.CAN_MANAGE) {
            throw new ApiException(403, "PERMISSION_DENIED", p.name() + " has CAN_USE on " + project.name()
                    + " and needs CAN_MANAGE for this; ask an owner to grant it.");
        }
    }

    public void requireAdmin(Principal p, String what) {
        if (!p.admin()) {
            throw new ApiException(403, "PERMISSION_DENIED", "Only workspace admins can " + what + ".");
        }
    }
}
