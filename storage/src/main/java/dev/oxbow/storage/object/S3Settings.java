package dev.oxbow.storage.object;

import java.net.URI;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * How to reach an S3-compatible bucket: the AWS SDK's standard variables ({@code AWS_ACCESS_KEY_ID},
 * {@code AWS_SECRET_ACCESS_KEY}, {@code AWS_SESSION_TOKEN}, {@code AWS_REGION}, {@code AWS_ENDPOINT_URL}).
 * Without keys in the environment the SDK's default chain (profile, instance role) is used. Path-style
 * addressing is used when the endpoint is an IP address or {@code localhost}, where virtual-host names cannot
 * resolve (MinIO, Ceph RGW, S3Proxy on a private address); {@code AWS_S3_FORCE_PATH_STYLE=true} forces it.
 */
public record S3Settings(String bucket, String prefix, Optional<URI> endpoint, String region, Optional<String> accessKey,
                         Optional<String> secretKey, Optional<String> sessionToken, boolean pathStyle, long partSize) {
    /** Objects above this size go up in parts of this size (S3 allows at most 10,000 parts, each at least 5 MiB). */
    public static final long DEFAULT_PART_SIZE = 16L << 20;
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

    /** {@code s3://bucket/prefix} with the connection read from {@code env}. */
    public static S3Settings of(URI location, Map<String, String> env) {
        if (!"s3".equals(location.getScheme()) || location.getHost() == null) {
            throw new IllegalArgumentException("not an s3://bucket/prefix location: " + location);
        }
        String prefix = Optional.ofNullable(location.getPath()).orElse("").replaceAll("^/+|/+$", "");
        Optional<URI> endpoint = Optional.ofNullable(env.get("AWS_ENDPOINT_URL_S3")).or(() -> Optional.ofNullable(env.get("AWS_ENDPOINT_URL")))
                .filter(s -> !s.isBlank()).map(URI::create);
        String region = Optional.ofNullable(env.get("AWS_REGION")).or(() -> Optional.ofNullable(env.get("AWS_DEFAULT_REGION")))
                .filter(s -> !s.isBlank()).orElse("us-east-1");
        boolean pathStyle = "true".equalsIgnoreCase(env.get("AWS_S3_FORCE_PATH_STYLE")) || endpoint.map(S3Settings::needsPathStyle).orElse(false);
        return new S3Settings(location.getHost(), prefix, endpoint, region, Optional.ofNullable(env.get("AWS_ACCESS_KEY_ID")),
                Optional.ofNullable(env.get("AWS_SECRET_ACCESS_KEY")), Optional.ofNullable(env.get("AWS_SESSION_TOKEN")), pathStyle,
                DEFAULT_PART_SIZE);
    }

    /** Virtual-host addressing puts the bucket in the host name, which an address or localhost cannot carry. */
    static boolean needsPathStyle(URI endpoint) {
        String host = endpoint.getHost();
        if (host == null) {
            return true;
        }
        String h = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
        return h.equalsIgnoreCase("localhost") || h.toLowerCase(java.util.Locale.ROOT).endsWith(".localhost")
                || IPV4.matcher(h).matches() || h.contains(":");
    }

    public S3Settings withPartSize(long bytes) {
        if (bytes < 5L << 20) {
            throw new IllegalArgumentException("S3 parts are at least 5 MiB");
        }
        return new S3Settings(bucket, prefix, endpoint, region, accessKey, secretKey, sessionToken, pathStyle, bytes);
    }

    @Override
    public String toString() {
        // no secrets in logs
        return "s3://" + bucket + (prefix.isEmpty() ? "" : "/" + prefix) + endpoint.map(e -> " endpoint=" + e).orElse("")
                + " region=" + region + " path_style=" + pathStyle;
    }
}
