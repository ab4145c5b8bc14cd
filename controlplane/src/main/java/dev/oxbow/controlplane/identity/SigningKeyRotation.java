package dev.oxbow.controlplane.identity;

import dev.oxbow.controlplane.background.BackgroundTasks;
import dev.oxbow.auth.TokenService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;

/**
 * Rotates the key that signs database credentials on a schedule. Tokens signed with the previous key stay
 * valid until they expire, so rotation never logs anyone out.
 */
public final class SigningKeyRotation {
    private static final Logger log = LoggerFactory.getLogger(SigningKeyRotation.class);
    private final TokenService tokens;

    public SigningKeyRotation(TokenService tokens) {
        this.tokens = tokens;
    }

    public void start(BackgroundTasks tasks, Duration every) {
        tasks.every("key-rotation", every, every, () -> {
            try {
                tokens.rotate();
                log.info("credential signing key rotated");
            } catch (RuntimeException e) {
                log.warn("credential signing key rotation failed cause={}", e.getMessage());
            }
        });
    }
}
