package dev.oxbow.storage;

import dev.oxbow.compute.Lsn;

import java.nio.file.Path;
import java.time.Instant;

/**
 * A consistent base backup of a branch: {@code dir/pgdata} holds the copied files with their backup
 * label and the WAL up to {@code lsn}. Replaying from it reaches any point at or after both {@code lsn}
 * and {@code time} (every commit it holds was flushed by {@code lsn} and happened before {@code time}).
 */
public record Snapshot(Path dir, String lsn, Instant time, String startSegment) {
    public Path pgdata() {
        return dir.resolve("pgdata");
    }

    public long lsnValue() {
        return Lsn.parse(lsn);
    }
}
