package dev.oxbow.storage.object;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The same behaviour from both stores: the local directory and a real S3 server (S3Proxy) through the AWS SDK;
 * and from a second, independent S3 implementation when one runs ({@code scripts/s3-contract} starts s3rver and
 * sets {@code OXBOW_TEST_S3_ENDPOINT}, {@code OXBOW_TEST_S3_BUCKET} and the {@code AWS_*} keys for it).
 */
class ObjectStoreContractTest {
    @TempDir
    static Path tmp;
    static TestS3Server server;
    static ObjectStore s3;
    static ObjectStore local;

    @BeforeAll
    static void start() throws Exception {
        server = TestS3Server.start(Files.createDirectories(tmp.resolve("s3")), "oxbow");
        // a small part size so the multipart path runs on a modest file
        s3 = new S3ObjectStore(S3Settings.of(URI.create("s3://oxbow/some/prefix"), server.env()).withPartSize(5L << 20));
        local = new LocalObjectStore(tmp.resolve("local"));
    }

    @AfterAll
    static void stop() throws Exception {
        s3.close();
        server.close();
    }

    @Test
    void s3PutsListsGetsAndDeletes() throws Exception {
        roundTrip(s3);
    }

    @Test
    void localPutsListsGetsAndDeletes() throws Exception {
        roundTrip(local);
    }

    private static void roundTrip(ObjectStore store) throws Exception {
        store.put("a/one", "first".getBytes());
        store.put("a/two", "second".getBytes());
        store.put("b/three", "third".getBytes());
        assertThat(store.list("a/")).extracting(ObjectInfo::key).containsExactly("a/one", "a/two");
        assertThat(store.list("a/")).extracting(ObjectInfo::size).containsExactly(5L, 6L);
        assertThat(store.get("a/two")).hasValueSatisfying(b -> assertThat(new String(b)).isEqualTo("second"));
        assertThat(store.get("a/none")).isEmpty();
        assertThat(store.exists("b/three")).isTrue();
        assertThat(store.exists("b/none")).isFalse();
        Path out = tmp.resolve("out-" + store.getClass().getSimpleName() + "-" + System.identityHashCode(store));
        assertThat(store.download("b/three", out)).isTrue();
        assertThat(Files.readString(out)).isEqualTo("third");
        assertThat(store.download("b/none", out)).isFalse();
        store.delete(List.of("a/one", "a/never-was"));
        assertThat(store.list("a/")).extracting(ObjectInfo::key).containsExactly("a/two");
    }

    @Test
    void largeFileGoesUpInPartsAndComesBackWhole() throws Exception {
        inParts(s3, "s3proxy");
    }

    @Test
    @org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable(named = "OXBOW_TEST_S3_ENDPOINT", matches = ".+")
    void anotherS3ImplementationBehavesTheSame() throws Exception {
        java.util.Map<String, String> env = new java.util.HashMap<>(System.getenv());
        env.put("AWS_ENDPOINT_URL", System.getenv("OXBOW_TEST_S3_ENDPOINT"));
        env.putIfAbsent("AWS_REGION", "us-east-1");
        String bucket = System.getenv().getOrDefault("OXBOW_TEST_S3_BUCKET", "oxbow");
        try (ObjectStore other = new S3ObjectStore(S3Settings.of(URI.create("s3://" + bucket + "/contract-" + System.nanoTime()), env)
                .withPartSize(5L << 20))) {
            roundTrip(other);
            inParts(other, "other");
        }
    }

    private static void inParts(ObjectStore store, String name) throws Exception {
        byte[] data = new byte[12 << 20]; // three parts of 5 MiB, the last short
        new Random(17).nextBytes(data);
        Path big = tmp.resolve("big-" + name);
        Files.write(big, data);
        store.put("big/file", big);
        Path back = tmp.resolve("big-back-" + name);
        assertThat(store.download("big/file", back)).isTrue();
        assertThat(Files.readAllBytes(back)).isEqualTo(data);
        assertThat(store.list("big/")).singleElement().extracting(ObjectInfo::size).isEqualTo((long) data.length);
    }

    @Test
    void keysThatEscapeAreRefused() {
        assertThatThrownBy(() -> local.put("../outside", new byte[1])).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> s3.put("a//b", new byte[1])).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void pathStyleForAddressesAndLocalhostOnly() {
        assertThat(S3Settings.needsPathStyle(URI.create("http://127.0.0.1:9000"))).isTrue();
        assertThat(S3Settings.needsPathStyle(URI.create("http://localhost:9000"))).isTrue();
        assertThat(S3Settings.needsPathStyle(URI.create("http://[::1]:9000"))).isTrue();
        assertThat(S3Settings.needsPathStyle(URI.create("https://s3.eu-west-1.amazonaws.com"))).isFalse();
        assertThat(S3Settings.of(URI.create("s3://b/p/q/"), java.util.Map.of()).prefix()).isEqualTo("p/q");
        assertThat(S3Settings.of(URI.create("s3://b"), java.util.Map.of()).pathStyle()).isFalse();
    }

    @Test
    void anUnreachableBucketFailsTheCallInsteadOfHanging() throws Exception {
        int port;
        try (var s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        var env = new java.util.HashMap<>(server.env());
        env.put("AWS_ENDPOINT_URL", "http://127.0.0.1:" + port);
        try (ObjectStore gone = new S3ObjectStore(S3Settings.of(URI.create("s3://oxbow"), env))) {
            assertThatThrownBy(() -> gone.put("x", new byte[1])).isInstanceOf(java.io.IOException.class).hasMessageContaining("put x failed");
        }
    }
}
