package dev.oxbow.storage.bucket;

/**
 * Where things live in the bucket (below the store's own prefix):
 * <pre>
 * metadata/oxbow-&lt;epoch ms&gt;.db           consistent copies of the control plane's SQLite database
 * metadata/home/&lt;file&gt;                    the home's small secrets (signing keys, CA, admin token) and its id
 * metadata/LATEST                          names the newest complete database copy (written last)
 * projects/&lt;p&gt;/chunks/&lt;sha-256&gt;            content-addressed pieces of snapshot files, shared by all branches of a project
 * projects/&lt;p&gt;/branches/&lt;b&gt;/snapshots/&lt;LSN&gt;-&lt;ms&gt;.manifest   a snapshot: its files as lists of chunks (written last)
 * projects/&lt;p&gt;/branches/&lt;b&gt;/wal/&lt;segment&gt;[.zst]                 completed WAL segments and timeline history files
 * projects/&lt;p&gt;/branches/&lt;b&gt;/wal-tail/&lt;segment&gt;/&lt;from&gt;-&lt;to&gt;   the segment being written, as byte ranges
 * </pre>
 * Keys use the resources' uids, which are never reused, so a project deleted and created again never meets
 * its predecessor's objects.
 */
public record BucketLayout(String projectUid, String branchUid) {
    public static final String METADATA = "metadata/";
    public static final String METADATA_LATEST = "metadata/LATEST";
    public static final String METADATA_HOME = "metadata/home/";

    public static String project(String projectUid) {
        return "projects/" + projectUid + "/";
    }

    public String chunks() {
        return project(projectUid) + "chunks/";
    }

    public String branch() {
        return project(projectUid) + "branches/" + branchUid + "/";
    }

    public String snapshots() {
        return branch() + "snapshots/";
    }

    public String wal() {
        return branch() + "wal/";
    }

    public String walTail() {
        return branch() + "wal-tail/";
    }
}
