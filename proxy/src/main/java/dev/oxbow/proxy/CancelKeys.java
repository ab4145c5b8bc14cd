package dev.oxbow.proxy;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The cancel keys clients hold, and the compute session each one cancels. The proxy hands out its own secret
 * (from SecureRandom) in place of the compute's, as Neon's proxy does: keys stay unique across computes that
 * reuse a pid, and a client learns nothing about the compute's key. The pid is kept, so clients that compare it
 * with {@code pg_backend_pid()} or a notification's sender still work. Thread-safe.
 */
final class CancelKeys {
    /** What a client presents in a CancelRequest. */
    record Key(int pid, int secret) {
        long packed() {
            return ((long) pid << 32) | (secret & 0xffffffffL);
        }
    }

    /** The compute session behind a key, with the compute's own key. */
    record Target(Path socketDir, int pid, int secret) {}

    private final Map<Long, Target> targets = new ConcurrentHashMap<>();
    private final SecureRandom random = new SecureRandom();

    /** Registers a compute session and returns the key to give its client. */
    Key issue(Path socketDir, int pid, int backendSecret) {
        Target target = new Target(socketDir, pid, backendSecret);
        while (true) {
            Key key = new Key(pid, random.nextInt());
            if (targets.putIfAbsent(key.packed(), target) == null) {
                return key;
            }
        }
    }

    Optional<Target> find(int pid, int secret) {
        return Optional.ofNullable(targets.get(new Key(pid, secret).packed()));
    }

    void remove(Key key) {
        targets.remove(key.packed());
    }

    int size() {
        return targets.size();
    }
}
