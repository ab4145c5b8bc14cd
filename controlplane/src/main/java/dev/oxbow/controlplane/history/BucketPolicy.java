package dev.oxbow.controlplane.history;

import java.time.Duration;
import java.util.Map;

/**
 * Where branch history and metadata are kept durably: an object store location ({@code s3://bucket/prefix},
 * {@code file:///dir}; null = the local disk only, the embedded default) and the environment its settings come
 * from ({@code AWS_*}). {@code shipInterval} is the loss window on a lost disk: a commit is in the bucket within it
 * (a running primary's WAL is streamed and put every {@link #walPutGap}; completed segments and receivers that are
 * not running yet are seen to every {@code shipInterval}); new snapshots and the metadata go up every {@code uploadInterval}. {@code restore} rebuilds an empty home from the bucket at start.
 */
public record BucketPolicy(String location, Map<String, String> env, Duration shipInterval, Duration uploadInterval, boolean restore) {
    public static BucketPolicy none() {
        return new BucketPolicy(null, Map.of(), Duration.ofSeconds(1), Duration.ofSeconds(10), false);
    }

    public static BucketPolicy at(String location, Map<String, String> env) {
        return new BucketPolicy(location, Map.copyOf(env), Duration.ofSeconds(1), Duration.ofSeconds(10), false);
    }

    /**
     * The least time between two puts of a streaming branch's WAL: a quarter of the loss window, which leaves the
     * rest for the put itself (250 ms by default: at most four PUTs a second per busy branch).
     */
    public Duration walPutGap() {
        return shipInterval.dividedBy(4);
    }

    public boolean enabled() {
        return location != null;
    }

    public BucketPolicy withIntervals(Duration ship, Duration upload) {
        return new BucketPolicy(location, env, ship, upload, restore);
    }

    public BucketPolicy withRestore(boolean r) {
        return new BucketPolicy(location, env, shipInterval, uploadInterval, r);
    }

    @Override
    public String toString() {
        // the environment holds secrets
        return "BucketPolicy[location=" + location + ", shipInterval=" + shipInterval + ", uploadInterval=" + uploadInterval + ", restore=" + restore + "]";
    }
}
