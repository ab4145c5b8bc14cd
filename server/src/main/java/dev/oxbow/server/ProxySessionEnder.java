package dev.oxbow.server;

import dev.oxbow.controlplane.compute.SessionEnder;
import dev.oxbow.proxy.ProxyServer;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Before an explicit suspend: the proxy ends the endpoint's sessions with FATAL 57P01 and the reason. A session
 * whose client does not take the message in time (a stalled reader) is left to the stop, where Postgres ends it.
 */
final class ProxySessionEnder implements SessionEnder {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ProxySessionEnder.class);
    private static final Duration WAIT = Duration.ofSeconds(5);
    private final ProxyServer proxy;

    ProxySessionEnder(ProxyServer proxy) {
        this.proxy = proxy;
    }

    @Override
    public void endSessions(String endpointUid, String message) {
        try {
            proxy.endSessions(endpointUid, message).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            log.info("sessions still open after {} s, stopping anyway endpoint={}", WAIT.toSeconds(), endpointUid);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            log.warn("cannot end sessions endpoint={} cause={}", endpointUid, e.getCause().toString());
        }
    }
}
