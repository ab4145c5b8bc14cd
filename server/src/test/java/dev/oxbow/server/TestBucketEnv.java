package dev.oxbow.server;

import dev.oxbow.storage.object.TestS3Server;

import java.util.HashMap;
import java.util.Map;

/** What an Oxbow server needs to use the storage module's test S3 server: its AWS settings plus the backup key. */
final class TestBucketEnv {
    /** The metadata backup's key (kept outside the bucket, as in production): a restored home needs the same one. */
    static final String BACKUP_KEY = java.util.Base64.getEncoder().encodeToString("oxbow-test-backup-key-32-bytes!!".getBytes());

    private TestBucketEnv() {}

    static Map<String, String> of(TestS3Server s3) {
        Map<String, String> env = new HashMap<>(s3.env());
        env.put("OXBOW_BACKUP_KEY", BACKUP_KEY);
        return Map.copyOf(env);
    }
}
