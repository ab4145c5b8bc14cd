package dev.oxbow.server;

import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStore;
import org.jclouds.blobstore.BlobStoreContext;

import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

/**
 * A real S3 server on loopback for tests (a copy of the storage module's fixture; test classes are not shared across modules): S3Proxy (its S3 front end, signature checks included) over
 * jclouds' filesystem back end in {@code dir}. It can be stopped and started again on the same port and
 * directory, which is how tests take the bucket away and bring it back.
 */
final class TestS3Server implements AutoCloseable {
    public static final String ACCESS_KEY = "oxbow-test";
    public static final String SECRET_KEY = "oxbow-test-secret";
    /** The metadata backup's key (kept outside the bucket, as in production): a restored home needs the same one. */
    public static final String BACKUP_KEY = java.util.Base64.getEncoder().encodeToString("oxbow-test-backup-key-32-bytes!!".getBytes());

    private final Path dir;
    private final int port;
    private S3Proxy proxy;
    private BlobStoreContext context;

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
        BlobStore blobs = context.getBlobStore();
        proxy = S3Proxy.builder().blobStore(blobs).endpoint(URI.create("http://127.0.0.1:" + port))
                .awsAuthentication(org.gaul.s3proxy.AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY).build();
        proxy.start();
        while (!proxy.getState().equals("STARTED")) {
            Thread.onSpinWait();
        }
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
                "AWS_ENDPOINT_URL", endpoint().toString(), "OXBOW_BACKUP_KEY", BACKUP_KEY);
    }

    @Override
    public synchronized void close() throws Exception {
        if (proxy != null && !proxy.getState().equals("STOPPED")) {
            down();
        }
    }
}
