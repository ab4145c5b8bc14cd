package dev.oxbow.storage;

import dev.oxbow.compute.Lsn;

import dev.oxbow.compute.ProcessIdentity;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The WAL a recovery replays for a point of a branch older than the branch's own first snapshot: the parent's
 * archived segments before the segment holding the branch point, and the branch's own from that segment on (its
 * version of that segment starts with the parent's WAL, copied with the clone). Both archives' files are written once
 * and never changed, so the joined directory is hard links, made in a moment whatever the archives' size.
 */
public final class WalBridge {
    /** A segment (timeline, log, segment), also compressed, partial or a backup history file. */
    private static final Pattern SEGMENT = Pattern.compile("([0-9A-F]{8})([0-9A-F]{8})([0-9A-F]{8})(\\..+)?");
    private static final Pattern HISTORY = Pattern.compile("[0-9A-F]{8}\\.history(\\.zst)?");

    private WalBridge() {}

    /**
     * Links into {@code target} (made for {@code owner}) the parent's timeline history files and segments before the
     * one holding {@code branchPointLsn}, then all of the branch's archive (its files win). {@code snapshotDataDir}
     * tells the segment size. Returns the branch's timeline at its branch point (8 hex digits).
     */
    public static String link(ProcessIdentity owner, Path parentArchive, Path branchArchive, long branchPointLsn, Path snapshotDataDir, Path target)
            throws IOException {
        long segmentSize = SnapshotStore.segmentSize(snapshotDataDir);
        long cut = branchPointLsn / segmentSize;
        owner.privateDir(target);
        try (DirectoryStream<Path> files = Files.newDirectoryStream(parentArchive)) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                OptionalLong segment = segmentNumber(name, segmentSize);
                if (HISTORY.matcher(name).matches() || (segment.isPresent() && segment.getAsLong() < cut)) {
                    Files.createLink(target.resolve(name), f);
                }
            }
        }
        String timeline = null;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(branchArchive)) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                if (!HISTORY.matcher(name).matches() && !SEGMENT.matcher(name).matches()) {
                    continue;
                }
                Files.deleteIfExists(target.resolve(name));
                Files.createLink(target.resolve(name), f);
                OptionalLong segment = segmentNumber(name, segmentSize);
                if (segment.isPresent() && segment.getAsLong() == cut && (timeline == null || name.substring(0, 8).compareTo(timeline) < 0)) {
                    timeline = name.substring(0, 8);
                }
            }
        }
        if (timeline == null) {
            throw new IOException("the branch's archive " + branchArchive + " lacks the segment of its branch point " + Lsn.format(branchPointLsn));
        }
        return timeline;
    }

    /** The name (on timeline 0: only its position counts) of the segment holding {@code lsn}, in the cluster of {@code dataDir}. */
    public static String segmentOf(long lsn, Path dataDir) throws IOException {
        long segmentSize = SnapshotStore.segmentSize(dataDir);
        long perLog = 0x1_0000_0000L / segmentSize;
        long number = lsn / segmentSize;
        return String.format("00000000%08X%08X", number / perLog, number % perLog);
    }

    /** The segment's number counted from LSN 0 (log × segments per log + segment), or empty for another kind of file. */
    static OptionalLong segmentNumber(String name, long segmentSize) {
        Matcher m = SEGMENT.matcher(name);
        if (!m.matches()) {
            return OptionalLong.empty();
        }
        long perLog = 0x1_0000_0000L / segmentSize;
        return OptionalLong.of(Long.parseLong(m.group(2), 16) * perLog + Long.parseLong(m.group(3), 16));
    }
}
