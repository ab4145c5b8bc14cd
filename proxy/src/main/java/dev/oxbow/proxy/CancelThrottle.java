package dev.oxbow.proxy;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.HashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * A token bucket per client network (IPv4 /24, IPv6 /64, as Neon's proxy keys its cancel limiter) for cancel
 * requests: each forwarded cancel costs a connection to a compute, and guessing keys needs many requests.
 * The clock is injected so tests step it. Thread-safe.
 */
final class CancelThrottle {
    /** Full buckets are forgotten once this many networks are tracked, so the map stays bounded. */
    private static final int PRUNE_AT = 10_000;

    private final double burst;
    private final double tokensPerNano;
    private final LongSupplier nanoTime;
    private final Map<InetAddress, Bucket> buckets = new HashMap<>();

    CancelThrottle(int burst, int perSecond, LongSupplier nanoTime) {
        this.burst = burst;
        this.tokensPerNano = perSecond / 1e9;
        this.nanoTime = nanoTime;
    }

    /** Takes a token for {@code source}'s network; false if it has none left. */
    synchronized boolean tryAcquire(InetAddress source) {
        long now = nanoTime.getAsLong();
        if (buckets.size() >= PRUNE_AT) {
            buckets.values().removeIf(b -> b.level(now) >= burst);
        }
        Bucket bucket = buckets.computeIfAbsent(network(source), k -> new Bucket(burst, now));
        double level = bucket.level(now);
        bucket.tokens = level;
        bucket.at = now;
        if (level < 1) {
            return false;
        }
        bucket.tokens = level - 1;
        return true;
    }

    static InetAddress network(InetAddress address) {
        byte[] bytes = address.getAddress();
        int keep = address instanceof Inet4Address ? 3 : 8;
        for (int i = keep; i < bytes.length; i++) {
            bytes[i] = 0;
        }
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    private final class Bucket {
        double tokens;
        long at;

        Bucket(double tokens, long at) {
            this.tokens = tokens;
            this.at = at;
        }

        double level(long now) {
            return Math.min(burst, tokens + (now - at) * tokensPerNano);
        }
    }
}
