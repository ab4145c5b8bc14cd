package dev.oxbow.storage.object;

import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStore;
import org.jclouds.blobstore.BlobStoreContext;

import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;

/**
 * A real S3 server on loopback for tests: S3Proxy (its S3 front end, signature checks included) over
 * jclouds' filesystem back end in {@code dir}. It can be stopped and started again on the same port and
 * directory, which is how tests take the bucket away and bring it back; {@link #holdPuts} stops chosen
 * uploads at a point of the test's choosing.
 */
public final class TestS3Server implements AutoCloseable {
    public static final String ACCESS_KEY = "oxbow-test";
    public static final String SECRET_KEY = "oxbow-test-secret";

    private final Path dir;
    private final int port;
    private S3Proxy proxy;
    private BlobStoreContext context;
    private final AtomicReference<PutHold> hold = new AtomicReference<>();

    private TestS3Server(Path dir, int port) {
        this.dir = dir;
        this.port = port;
    }

    /** Starts a server keeping its objects in {@code dir}, with {@code bucket} created. */
    public static TestS3Server start(Path dir, String bucket) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        TestS3Server server = new TestS3Server(dir, port);
        server.up();
        server.context.getBlobStore().createContainerInLocation(null, bucket);
        return server;
    }

    /** Starts serving again after {@link #down} (same port, same objects). */
    public synchronized void up() throws Exception {
        Properties props = new Properties();
        props.setProperty("jclouds.filesystem.basedir", dir.toString());
        context = ContextBuilder.newBuilder("filesystem").credentials("identity", "credential").overrides(props)
                .build(BlobStoreContext.class);
        BlobStore blobs = new HoldingBlobStore(context.getBlobStore(), hold);
        proxy = S3Proxy.builder().blobStore(blobs).endpoint(URI.create("http://127.0.0.1:" + port))
                .awsAuthentication(org.gaul.s3proxy.AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY).build();
        proxy.start();
        while (!proxy.getState().equals("STARTED")) {
            Thread.onSpinWait();
        }
    }

    /**
     * From now until the returned hold is closed, every PUT of a key (as the bucket names it, a location's prefix
     * included) that {@code key} matches waits unanswered, then fails. One hold at a time.
     */
    public PutHold holdPuts(Predicate<String> key) {
        PutHold h = new PutHold(key, ended -> hold.compareAndSet(ended, null));
        if (!hold.compareAndSet(null, h)) {
            throw new IllegalStateException("a hold is already in place");
        }
        return h;
    }

    /** Stops serving: clients see connection refused until {@link #up}. */
    public synchronized void down() throws Exception {
        proxy.stop();
        context.close();
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + port);
    }

    /** The environment an Oxbow process would get to use this server. */
    public Map<String, String> env() {
        return Map.of("AWS_ACCESS_KEY_ID", ACCESS_KEY, "AWS_SECRET_ACCESS_KEY", SECRET_KEY, "AWS_REGION", "us-east-1",
                "AWS_ENDPOINT_URL", endpoint().toString());
    }

    @Override
    public synchronized void close() throws Exception {
        if (proxy != null && !proxy.getState().equals("STOPPED")) {
            down();
        }
    }
}
