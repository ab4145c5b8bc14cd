package dev.oxbow.proxy;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.function.LongSupplier;

/**
 * When one login reached each of its steps, logged at debug once the compute's ReadyForQuery has been relayed
 * ({@code -Dorg.slf4j.simpleLogger.log.dev.oxbow.proxy.LoginTimeline=debug}): where a connect spends its time inside
 * the proxy, step by step, in microseconds since the connection was accepted. Touched on one event loop only.
 */
final class LoginTimeline {
    private static final Logger log = LoggerFactory.getLogger(LoginTimeline.class);

    /** In the order a token login passes them; a step a login skips (e.g. SCRAM has no PASSWORD) is printed as "-". */
    enum Step { TLS_DONE, STARTUP, PASSWORD, CHECKED, ACQUIRED, BACKEND_CONNECTED, BACKEND_READY }

    private final LongSupplier nanoClock;
    private final long accepted;
    private static final long NOT_REACHED = Long.MIN_VALUE;
    private final long[] at = new long[Step.values().length];

    LoginTimeline(LongSupplier nanoClock) {
        this.nanoClock = nanoClock;
        this.accepted = nanoClock.getAsLong();
        java.util.Arrays.fill(at, NOT_REACHED);
    }

    void mark(Step step) {
        at[step.ordinal()] = nanoClock.getAsLong();
    }

    /** The compute's ReadyForQuery went to the client: the login is over. */
    void ready(String endpointName, boolean pooled, boolean spare) {
        mark(Step.BACKEND_READY);
        if (log.isDebugEnabled()) {
            log.debug("login timeline endpoint={} door={} spare_backend={} {}", endpointName, pooled ? "pooled" : "direct", spare, line());
        }
    }

    /** e.g. {@code tls_done_us=812 startup_us=1020 password_us=1400 ... backend_ready_us=5230}. */
    String line() {
        StringBuilder b = new StringBuilder();
        for (Step step : Step.values()) {
            if (!b.isEmpty()) {
                b.append(' ');
            }
            long t = at[step.ordinal()];
            b.append(step.name().toLowerCase(java.util.Locale.ROOT)).append("_us=").append(t == NOT_REACHED ? "-" : Long.toString((t - accepted) / 1_000));
        }
        return b.toString();
    }
}
