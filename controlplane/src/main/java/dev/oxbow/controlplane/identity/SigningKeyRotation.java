package dev.oxbow.controlplane.identity;

import dev.oxbow.auth.TokenService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Rotates the key that signs database credentials on a schedule. Tokens signed with the previous key stay
 * valid until they expire, so rotation never logs anyone out.
 */
public final class SigningKeyRotation implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SigningKeyRotation.class);
    private final TokenService tokens;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("oxbow-key-rotation").daemon().factory());

    public SigningKeyRotation(TokenService tokens) {
        this.tokens = tokens;
    }

    public void start(Duration every) {
        timer.scheduleWithFixedDelay(() -> {
            try {
                tokens.rotate();
                log.info("credential signing key rotated");
            } catch (RuntimeException e) {
                log.warn("credential signing key rotation failed cause={}", e.getMessage());
            }
        }, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
