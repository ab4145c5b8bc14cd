package dev.oxbow.server;

import dev.oxbow.controlplane.ControlPlane;
import dev.oxbow.metadata.Branch;
import dev.oxbow.metadata.Project;
import dev.oxbow.proxy.ProxyBackend;

import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/** The proxy's view of the control plane: endpoints by uid, roles by name, wake and connection counting. */
final class ProxyGateway implements ProxyBackend {
    private final ControlPlane cp;

    ProxyGateway(ControlPlane cp) {
        this.cp = cp;
    }

    @Override
    public Optional<EndpointTarget> resolve(String endpointUid) {
        var store = cp.store();
        return cp.activity().endpointByUid(endpointUid).flatMap(e -> {
            Optional<Branch> branch = store.branches().get(e.parentName()).filter(b -> !b.deleted());
            Optional<Project> project = store.projects().get(Project.nameOf(e.projectId())).filter(p -> !p.deleted());
            if (branch.isEmpty() || project.isEmpty()) {
                return Optional.empty();
            }
            return Optional.of(new EndpointTarget(e.uid(), e.name(), branch.get().name(), e.disabled(), project.get().enablePgNativeLogin()));
        });
    }

    @Override
    public Optional<RoleLogin> role(EndpointTarget target, String pgUser) {
        return cp.store().roles().list(target.branchName()).stream()
                .filter(r -> r.postgresRole().equals(pgUser))
                .findFirst()
                .map(r -> new RoleLogin(r.authMethod(), r.scramVerifier()));
    }

    @Override
    public CompletableFuture<Path> acquire(String endpointUid) {
        return cp.activity().acquire(endpointUid);
    }

    @Override
    public void release(String endpointUid) {
        cp.activity().release(endpointUid);
    }
}
