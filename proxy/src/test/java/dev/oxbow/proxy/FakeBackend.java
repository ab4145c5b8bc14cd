package dev.oxbow.proxy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/** A control plane in memory: endpoints and roles put in by the test, and a record of what the proxy asked. */
final class FakeBackend implements ProxyBackend {
    final Map<String, EndpointTarget> endpoints = new HashMap<>();
    final Map<String, RoleLogin> roles = new HashMap<>();
    final List<String> resolved = new ArrayList<>();
    final List<String> attempts = new ArrayList<>();
    CompletableFuture<Path> wake = CompletableFuture.completedFuture(Path.of("/computes/fake"));
    int acquired;
    int acquiredPooled;
    int released;

    @Override
    public Optional<EndpointTarget> resolve(String endpointUid) {
        resolved.add(endpointUid);
        return Optional.ofNullable(endpoints.get(endpointUid));
    }

    @Override
    public Optional<RoleLogin> role(EndpointTarget target, String pgUser) {
        return Optional.ofNullable(roles.get(pgUser));
    }

    @Override
    public CompletableFuture<Path> acquire(String endpointUid) {
        acquired++;
        return wake;
    }

    @Override
    public CompletableFuture<Path> acquirePooled(String endpointUid) {
        acquiredPooled++;
        return wake.thenApply(dir -> dir.resolveSibling(dir.getFileName() + "-pooler"));
    }

    /** Time travel: what the proxy asked for, and what it gets (a session on {@code /computes/past} by default). */
    final List<PastPoint> pastRequested = new ArrayList<>();
    int pastReleased;
    CompletableFuture<PastSession> past = CompletableFuture.completedFuture(new PastSession("tt-fake", Path.of("/computes/past"), () -> pastReleased++));

    @Override
    public CompletableFuture<PastSession> acquireAt(EndpointTarget target, PastPoint at) {
        pastRequested.add(at);
        return past;
    }

    @Override
    public void release(String endpointUid) {
        released++;
    }

    @Override
    public Optional<String> loginRefusal(EndpointTarget target, String identity, java.time.Instant issueTime) {
        return Optional.empty();
    }

    @Override
    public void loginAttempt(EndpointTarget target, String user, String remote, boolean accepted, String detail) {
        attempts.add((accepted ? "accepted " : "refused ") + user + " " + detail);
    }
}
