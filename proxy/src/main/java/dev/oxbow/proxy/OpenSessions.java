package dev.oxbow.proxy;

import io.netty.channel.Channel;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/** The proxy's relayed sessions by endpoint uid, so that a suspend can end them with a message of the proxy's own. */
final class OpenSessions {
    private final Map<String, Map<Channel, SessionTerminator>> byEndpoint = new ConcurrentHashMap<>();

    void add(String endpointUid, Channel client, SessionTerminator terminator) {
        byEndpoint.computeIfAbsent(endpointUid, k -> new ConcurrentHashMap<>()).put(client, terminator);
    }

    void remove(String endpointUid, Channel client) {
        byEndpoint.computeIfPresent(endpointUid, (k, sessions) -> {
            sessions.remove(client);
            return sessions.isEmpty() ? null : sessions;
        });
    }

    /** FATAL 57P01 with {@code message} to each of the endpoint's sessions; completes when all their clients are closed. */
    CompletableFuture<Void> endAll(String endpointUid, String message) {
        List<CompletableFuture<Void>> closed = new ArrayList<>();
        byEndpoint.getOrDefault(endpointUid, Map.of()).forEach((client, terminator) -> {
            CompletableFuture<Void> done = new CompletableFuture<>();
            client.closeFuture().addListener(f -> done.complete(null));
            closed.add(done);
            client.eventLoop().execute(() -> terminator.terminate(PgWire.fatal(client.alloc(), "57P01", message)));
        });
        return CompletableFuture.allOf(closed.toArray(CompletableFuture[]::new));
    }
}
