package dev.oxbow.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An immutable ring of ES256 keys as stored in the JWK set file: the last key signs, every key verifies. A key is
 * retired when its successor is created and pruned {@link #RETIRED_KEY_RETENTION} later, which must exceed the
 * longest token lifetime (1 hour) so that no valid token loses its key.
 */
final class SigningKeys {
    static final String FILE = "token-keys.json";
    static final Duration RETIRED_KEY_RETENTION = Duration.ofHours(2);

    private final List<ECKey> keys;
    private final JWSSigner signer;
    private final Map<String, JWSVerifier> verifiers;

    private SigningKeys(List<ECKey> keys) {
        this.keys = List.copyOf(keys);
        Map<String, JWSVerifier> byId = new LinkedHashMap<>();
        try {
            for (ECKey key : this.keys) {
                byId.put(key.getKeyID(), new ECDSAVerifier(key.toPublicJWK()));
            }
            this.signer = new ECDSASigner(newest());
        } catch (JOSEException e) {
            throw new IllegalStateException("unusable token signing key", e);
        }
        this.verifiers = Map.copyOf(byId);
    }

    /** Reads the ring, or creates one with a single key; a file that exists but is unusable is an error, not reset. */
    static SigningKeys loadOrCreate(Path dir, Instant now) throws IOException {
        Path file = dir.resolve(FILE);
        if (!Files.exists(file)) {
            SigningKeys created = new SigningKeys(List.of(generate(now)));
            created.save(dir);
            return created;
        }
        List<ECKey> keys = new ArrayList<>();
        try {
            for (JWK jwk : JWKSet.parse(Files.readString(file, StandardCharsets.UTF_8)).getKeys()) {
                if (!(jwk instanceof ECKey ec) || !Curve.P_256.equals(ec.getCurve()) || !ec.isPrivate()
                        || ec.getKeyID() == null || ec.getIssueTime() == null) {
                    throw new IOException("key " + jwk.getKeyID() + " is not a private P-256 key with kid and iat");
                }
                keys.add(ec);
            }
        } catch (ParseException e) {
            throw new IOException("not a JWK set: " + e.getMessage(), e);
        }
        if (keys.isEmpty()) {
            throw new IOException("no keys");
        }
        return new SigningKeys(keys);
    }

    /** A ring with a new newest key, without keys retired longer than the retention. */
    SigningKeys rotated(Instant now) {
        List<ECKey> kept = new ArrayList<>();
        for (int i = 0; i < keys.size(); i++) {
            // Key i was retired when key i+1 was created; the current newest is never pruned.
            Instant retiredAt = i + 1 < keys.size() ? keys.get(i + 1).getIssueTime().toInstant() : now;
            if (!retiredAt.plus(RETIRED_KEY_RETENTION).isBefore(now)) {
                kept.add(keys.get(i));
            }
        }
        kept.add(generate(now));
        return new SigningKeys(kept);
    }

    void save(Path dir) throws IOException {
        // toString(false) keeps the private parts: this file is the key store, not a published JWKS.
        byte[] json = new JWKSet(List.<JWK>copyOf(keys)).toString(false).getBytes(StandardCharsets.UTF_8);
        SecureFiles.writeAtomically(dir.resolve(FILE), json, SecureFiles.PRIVATE_MODE);
    }

    ECKey newest() {
        return keys.get(keys.size() - 1);
    }

    JWSSigner signer() {
        return signer;
    }

    /** Null when no key has this id. */
    JWSVerifier verifier(String keyId) {
        return verifiers.get(keyId);
    }

    List<String> keyIds() {
        return keys.stream().map(ECKey::getKeyID).toList();
    }

    private static ECKey generate(Instant now) {
        byte[] id = new byte[12];
        new SecureRandom().nextBytes(id);
        try {
            return new ECKeyGenerator(Curve.P_256)
                    .keyID(Base64.getUrlEncoder().withoutPadding().encodeToString(id))
                    .keyUse(KeyUse.SIGNATURE)
                    .algorithm(JWSAlgorithm.ES256)
                    .issueTime(Date.from(now))
                    .generate();
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot generate EC P-256 key", e);
        }
    }
}
