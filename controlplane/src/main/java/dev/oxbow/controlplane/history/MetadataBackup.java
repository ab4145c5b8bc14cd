package dev.oxbow.controlplane.history;

import dev.oxbow.controlplane.resource.Layout;
import dev.oxbow.storage.bucket.BucketLayout;
import dev.oxbow.storage.object.ObjectInfo;
import dev.oxbow.storage.object.ObjectStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The control plane's records in the object store: a consistent copy of the SQLite database ({@code VACUUM
 * INTO} on a connection of its own reads one snapshot while Oxbow keeps writing) uploaded whenever the
 * database changed, then named in {@code metadata/LATEST}; the pointer is written last, so a restore never
 * meets a half-uploaded copy. The home's small secrets (token signing keys, the CA, the admin token) go with
 * it: without them restored endpoints would answer with a different certificate and old tokens would fail.
 */
final class MetadataBackup {
    private static final Logger log = LoggerFactory.getLogger(MetadataBackup.class);
    private static final int KEEP_COPIES = 3;
    // home-id: the per-project OS users carry it, so a home restored on the same machine adopts them
    private static final List<String> HOME_ITEMS = List.of("keys", "tls", "admin-token", "home-id");

    private final ObjectStore bucket;
    private final Layout layout;
    private final Clock clock;
    private final BackupCipher cipher;
    private String lastFingerprint = "";
    private final Map<String, String> homeHashes = new HashMap<>();

    MetadataBackup(ObjectStore bucket, Layout layout, Clock clock, BackupCipher cipher) {
        this.cipher = cipher;
        this.bucket = bucket;
        this.layout = layout;
        this.clock = clock;
    }

    /** Uploads a copy if the database changed since the last one; returns whether it did. */
    synchronized boolean backUp() throws IOException {
        backUpHome();
        Path db = layout.metadataFile();
        String fingerprint = fingerprint(db) + fingerprint(db.resolveSibling(db.getFileName() + "-wal"));
        if (fingerprint.equals(lastFingerprint)) {
            return false;
        }
        long start = System.nanoTime();
        Path copy = db.resolveSibling(".oxbow-backup-" + clock.millis() + ".db");
        try {
            try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db.toAbsolutePath()); Statement st = c.createStatement()) {
                st.execute("VACUUM INTO '" + copy.toAbsolutePath().toString().replace("'", "''") + "'");
            } catch (SQLException e) {
                throw new IOException("cannot copy the metadata database " + db + ": " + e.getMessage(), e);
            }
            String key = BucketLayout.METADATA + "oxbow-" + String.format("%015d", clock.millis()) + ".db";
            bucket.put(key, cipher.seal(key, Files.readAllBytes(copy)));
            bucket.put(BucketLayout.METADATA_LATEST, key.getBytes(StandardCharsets.UTF_8));
            lastFingerprint = fingerprint;
            List<String> older = bucket.list(BucketLayout.METADATA + "oxbow-").stream().map(ObjectInfo::key).filter(k -> !k.equals(key)).sorted().toList();
            if (older.size() > KEEP_COPIES) {
                bucket.delete(older.subList(0, older.size() - KEEP_COPIES));
            }
            log.info("metadata backed up key={} bytes={} ms={}", key, Files.size(copy), (System.nanoTime() - start) / 1_000_000);
            return true;
        } finally {
            Files.deleteIfExists(copy);
        }
    }

    private static String fingerprint(Path f) throws IOException {
        if (!Files.exists(f)) {
            return "-";
        }
        return Files.getLastModifiedTime(f).toMillis() + ":" + Files.size(f) + ";";
    }

    private void backUpHome() throws IOException {
        for (String item : HOME_ITEMS) {
            Path p = layout.home().resolve(item);
            if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                continue;
            }
            List<Path> files;
            try (Stream<Path> walk = Files.walk(p)) {
                files = walk.filter(f -> Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)).toList();
            }
            for (Path f : files) {
                String rel = layout.home().relativize(f).toString();
                byte[] bytes = Files.readAllBytes(f);
                String hash = sha256(bytes);
                if (!hash.equals(homeHashes.get(rel))) {
                    String objectKey = BucketLayout.METADATA_HOME + rel;
                    bucket.put(objectKey, cipher.seal(objectKey, bytes));
                    homeHashes.put(rel, hash);
                }
            }
        }
    }

    /**
     * Fills an empty home from the bucket: the newest complete metadata copy and the home's secrets.
     * Refuses a home that already has metadata (a restore never overwrites a live installation).
     */
    static void restoreHome(ObjectStore bucket, Layout layout, Map<String, String> env) throws IOException {
        Path db = layout.metadataFile();
        if (Files.exists(db)) {
            throw new IOException("cannot restore into " + layout.home() + ": it already has metadata (" + db + "); restore into an empty home");
        }
        String key = bucket.get(BucketLayout.METADATA_LATEST).map(b -> new String(b, StandardCharsets.UTF_8).strip())
                .orElseThrow(() -> new IOException("nothing to restore: " + bucket.location() + " has no metadata backup"));
        Files.createDirectories(layout.home());
        BackupCipher cipher;
        IOException noKey = null;
        try {
            cipher = BackupCipher.load(env, layout.home(), false);
        } catch (IOException e) {
            cipher = null; // fine for a backup made before encryption; said below if it is not one
            noKey = e;
        }
        byte[] database = bucket.get(key)
                .orElseThrow(() -> new IOException("metadata backup " + key + " named by " + BucketLayout.METADATA_LATEST + " is missing from " + bucket.location()));
        database = open(cipher, noKey, key, database);
        for (ObjectInfo o : bucket.list(BucketLayout.METADATA_HOME)) {
            Path target = layout.home().resolve(o.key().substring(BucketLayout.METADATA_HOME.length())).normalize();
            if (!target.startsWith(layout.home())) {
                throw new IOException("metadata backup names a file outside the home: " + o.key());
            }
            for (Path d = target.getParent(); !d.equals(layout.home()) && !Files.exists(d); d = d.getParent()) {
                Files.createDirectories(d, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            }
            byte[] stored = bucket.get(o.key()).orElseThrow(() -> new IOException("metadata backup object vanished: " + o.key()));
            writePrivate(target, open(cipher, noKey, o.key(), stored));
        }
        writePrivate(db, database);
        log.info("home restored from the object store location={} metadata={} home={} encrypted={}", bucket.location(), key, layout.home(), cipher != null);
    }

    private static byte[] open(BackupCipher cipher, IOException noKey, String key, byte[] stored) throws IOException {
        if (cipher != null) {
            return cipher.open(key, stored);
        }
        if (BackupCipher.sealed(stored)) {
            throw noKey;
        }
        return stored; // a backup made before encryption
    }

    private static void writePrivate(Path target, byte[] bytes) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + ".restoring");
        Files.write(tmp, bytes);
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
        Files.move(tmp, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
