package dev.oxbow.storage.object;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.retry.RetryMode;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.core.sync.ResponseTransformer;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.LegacyMd5Plugin;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ChecksumMode;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.Delete;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.model.UploadPartResponse;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Objects in an S3-compatible bucket through the AWS SDK for Java v2. Every upload carries a Content-MD5
 * the server verifies (the one checksum every S3 API checks: the SDK's newer trailing CRC checksums are
 * refused by several S3-compatible servers, S3Proxy among them), and the signed SHA-256 of the body; files above the part size go up as a multipart upload (each part
 * checksummed, the upload aborted on failure so no parts linger); requests are retried with backoff
 * (the SDK's standard mode) and bounded by timeouts, so an unreachable bucket fails a call, never hangs it.
 * SDK failures surface as {@link IOException}.
 */
public final class S3ObjectStore implements ObjectStore {
    private static final Logger log = LoggerFactory.getLogger(S3ObjectStore.class);

    private final S3Settings settings;
    private final S3Client s3;
    private volatile boolean batchDeleteUnsupported;

    public S3ObjectStore(S3Settings settings) {
        this.settings = settings;
        var builder = S3Client.builder()
                .region(Region.of(settings.region()))
                .credentialsProvider(credentials(settings))
                .forcePathStyle(settings.pathStyle())
                .httpClientBuilder(ApacheHttpClient.builder().connectionTimeout(Duration.ofSeconds(5)).socketTimeout(Duration.ofSeconds(60)))
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                // the whole body's SHA-256 in the signature instead of aws-chunked framing, which some S3 servers
                // (s3rver) store as part of the object: 5 bytes put came back as 177
                .serviceConfiguration(software.amazon.awssdk.services.s3.S3Configuration.builder().chunkedEncodingEnabled(false).build())
                .addPlugin(LegacyMd5Plugin.create()) // Content-MD5 where S3 demands a checksum (DeleteObjects)
                .overrideConfiguration(o -> o.retryStrategy(RetryMode.STANDARD)
                        .apiCallAttemptTimeout(Duration.ofMinutes(2))
                        .apiCallTimeout(Duration.ofMinutes(5)));
        settings.endpoint().ifPresent(builder::endpointOverride);
        this.s3 = builder.build();
    }

    private static AwsCredentialsProvider credentials(S3Settings s) {
        if (s.accessKey().isPresent() && s.secretKey().isPresent()) {
            return StaticCredentialsProvider.create(s.sessionToken()
                    .<software.amazon.awssdk.auth.credentials.AwsCredentials>map(t -> AwsSessionCredentials.create(s.accessKey().get(), s.secretKey().get(), t))
                    .orElseGet(() -> AwsBasicCredentials.create(s.accessKey().get(), s.secretKey().get())));
        }
        return DefaultCredentialsProvider.builder().build();
    }

    private String full(String key) {
        ObjectKeys.check(key);
        return settings.prefix().isEmpty() ? key : settings.prefix() + "/" + key;
    }

    private String relative(String fullKey) {
        return settings.prefix().isEmpty() ? fullKey : fullKey.substring(settings.prefix().length() + 1);
    }

    @Override
    public void put(String key, Path file) throws IOException {
        String fullKey = full(key);
        long size = Files.size(file);
        if (size <= settings.partSize()) {
            put(key, Files.readAllBytes(file));
            return;
        }
        try {
            putMultipart(fullKey, file, size);
        } catch (RuntimeException e) {
            throw failure("put " + key, e);
        }
    }

    /** Parts are read one at a time (a part in memory, not the file); an upload that fails is aborted. */
    private void putMultipart(String fullKey, Path file, long size) throws IOException {
        String uploadId = s3.createMultipartUpload(b -> b.bucket(settings.bucket()).key(fullKey))
                .uploadId();
        boolean done = false;
        try (InputStream in = Files.newInputStream(file)) {
            List<CompletedPart> parts = new ArrayList<>();
            long offset = 0;
            for (int number = 1; offset < size; number++) {
                int length = (int) Math.min(settings.partSize(), size - offset);
                byte[] part = in.readNBytes(length);
                if (part.length != length) {
                    throw new IOException(file + " shrank while it was uploaded");
                }
                int n = number;
                UploadPartResponse r = s3.uploadPart(b -> b.bucket(settings.bucket()).key(fullKey).uploadId(uploadId).partNumber(n)
                        .contentMD5(md5(part)), RequestBody.fromBytes(part));
                parts.add(CompletedPart.builder().partNumber(number).eTag(r.eTag()).build());
                offset += length;
            }
            s3.completeMultipartUpload(b -> b.bucket(settings.bucket()).key(fullKey).uploadId(uploadId).multipartUpload(m -> m.parts(parts)));
            done = true;
        } finally {
            if (!done) {
                try {
                    s3.abortMultipartUpload(b -> b.bucket(settings.bucket()).key(fullKey).uploadId(uploadId));
                } catch (RuntimeException e) {
                    log.warn("cannot abort multipart upload key={} upload_id={} cause={}", fullKey, uploadId, e.toString());
                }
            }
        }
    }

    @Override
    public void put(String key, byte[] bytes) throws IOException {
        String fullKey = full(key);
        try {
            s3.putObject(b -> b.bucket(settings.bucket()).key(fullKey).contentMD5(md5(bytes)), RequestBody.fromBytes(bytes));
        } catch (RuntimeException e) {
            throw failure("put " + key, e);
        }
    }

    @Override
    public Optional<byte[]> get(String key) throws IOException {
        String fullKey = full(key);
        try {
            ResponseBytes<GetObjectResponse> r = s3.getObjectAsBytes(b -> b.bucket(settings.bucket()).key(fullKey).checksumMode(ChecksumMode.ENABLED));
            return Optional.of(r.asByteArray());
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (RuntimeException e) {
            throw failure("get " + key, e);
        }
    }

    @Override
    public boolean download(String key, Path target) throws IOException {
        String fullKey = full(key);
        Path tmp = target.resolveSibling(target.getFileName() + "." + UUID.randomUUID() + ".oxbow-tmp");
        try {
            s3.getObject(b -> b.bucket(settings.bucket()).key(fullKey).checksumMode(ChecksumMode.ENABLED), ResponseTransformer.toFile(tmp));
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return true;
        } catch (NoSuchKeyException e) {
            return false;
        } catch (RuntimeException e) {
            throw failure("get " + key, e);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    @Override
    public List<ObjectInfo> list(String prefix) throws IOException {
        List<ObjectInfo> out = new ArrayList<>();
        try {
            String p = settings.prefix().isEmpty() ? prefix : settings.prefix() + "/" + prefix;
            for (S3Object o : s3.listObjectsV2Paginator(b -> b.bucket(settings.bucket()).prefix(p)).contents()) {
                if (!o.key().endsWith("/")) { // folder markers some servers list (S3Proxy's filesystem back end, consoles)
                    out.add(new ObjectInfo(relative(o.key()), o.size(), o.lastModified()));
                }
            }
        } catch (RuntimeException e) {
            throw failure("list " + prefix, e);
        }
        return out;
    }

    @Override
    public boolean exists(String key) throws IOException {
        String fullKey = full(key);
        try {
            s3.headObject(b -> b.bucket(settings.bucket()).key(fullKey));
            return true;
        } catch (NoSuchKeyException e) {
            return false;
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return false;
            }
            throw failure("head " + key, e);
        } catch (RuntimeException e) {
            throw failure("head " + key, e);
        }
    }

    @Override
    public void delete(Collection<String> keys) throws IOException {
        List<ObjectIdentifier> ids = keys.stream().map(k -> ObjectIdentifier.builder().key(full(k)).build()).toList();
        try {
            for (int i = 0; i < ids.size(); i += 1000) {
                deleteBatch(ids.subList(i, Math.min(ids.size(), i + 1000)));
            }
        } catch (RuntimeException e) {
            throw failure("delete " + keys.size() + " objects", e);
        }
    }

    /** One DeleteObjects call; servers without it (501, as S3Proxy answers the checksum header) get one delete per key. */
    private void deleteBatch(List<ObjectIdentifier> batch) throws IOException {
        if (!batchDeleteUnsupported) {
            try {
                var r = s3.deleteObjects(b -> b.bucket(settings.bucket()).delete(Delete.builder().objects(batch).quiet(true).build()));
                if (r.hasErrors() && !r.errors().isEmpty()) {
                    throw new IOException("cannot delete " + r.errors().size() + " objects from " + location() + ", first: "
                            + r.errors().get(0).key() + " " + r.errors().get(0).message());
                }
                return;
            } catch (S3Exception e) {
                if (e.statusCode() != 501) {
                    throw e;
                }
                batchDeleteUnsupported = true;
                log.info("object store has no batch delete, deleting one by one location={}", location());
            }
        }
        for (ObjectIdentifier id : batch) {
            s3.deleteObject(b -> b.bucket(settings.bucket()).key(id.key()));
        }
    }

    private static String md5(byte[] bytes) {
        try {
            return java.util.Base64.getEncoder().encodeToString(java.security.MessageDigest.getInstance("MD5").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private IOException failure(String what, RuntimeException e) {
        return new IOException("object store " + location() + ": " + what + " failed: " + e.getMessage(), e);
    }

    @Override
    public String location() {
        return "s3://" + settings.bucket() + (settings.prefix().isEmpty() ? "" : "/" + settings.prefix());
    }

    @Override
    public void close() {
        s3.close();
    }
}
