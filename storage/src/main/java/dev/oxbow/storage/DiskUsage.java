package dev.oxbow.storage;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The bytes a directory tree really takes, each block once: a file reached through several hard links counts once
 * (everywhere), and on copy-on-write filesystems (XFS with reflinks, btrfs) a block that reflinked copies share —
 * branches, snapshots, the WAL archive — counts once too. Shared extents come from FIEMAP, read with e2fsprogs'
 * {@code filefrag} (Java has no ioctl), one process per batch of files; a file it cannot read counts its size.
 */
public final class DiskUsage {
    private static final Logger log = LoggerFactory.getLogger(DiskUsage.class);
    private static final Set<String> COPY_ON_WRITE = Set.of("xfs", "btrfs");
    private static final int BATCH = 256;
    private static final Pattern HEADER = Pattern.compile("^File size of (.*) is (\\d+) \\((\\d+) blocks? of (\\d+) bytes\\)$");
    private static final Pattern EXTENT = Pattern.compile("^\\s*\\d+:\\s*\\d+\\.\\.\\s*\\d+:\\s*(\\d+)\\.\\.\\s*(\\d+):\\s*(\\d+):.*?([a-z_,]*)$");

    private DiskUsage() {}

    /** A regular file once per inode, with its size. */
    private record Entry(Path path, long size) {}

    public static long bytes(Path dir) {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        List<Entry> files = regularFiles(dir);
        if (!copyOnWrite(dir)) {
            return files.stream().mapToLong(Entry::size).sum();
        }
        long unshared = 0;
        List<long[]> shared = new ArrayList<>();
        for (int i = 0; i < files.size(); i += BATCH) {
            unshared += extents(files.subList(i, Math.min(files.size(), i + BATCH)), shared);
        }
        return unshared + union(shared);
    }

    private static List<Entry> regularFiles(Path dir) {
        Set<Object> seen = new HashSet<>();
        List<Entry> out = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path f : (Iterable<Path>) walk::iterator) {
                try {
                    Map<String, Object> a = Files.readAttributes(f, "unix:ino,dev,size,mode", LinkOption.NOFOLLOW_LINKS);
                    boolean regular = ((Integer) a.get("mode") & 0170000) == 0100000;
                    if (regular && seen.add(a.get("dev") + ":" + a.get("ino"))) {
                        out.add(new Entry(f, (Long) a.get("size")));
                    }
                } catch (IOException | UnsupportedOperationException e) {
                    // removed while walking (WAL recycling, a snapshot pruned): it no longer takes space
                }
            }
        } catch (IOException | UncheckedIOException e) {
            log.debug("disk usage walk incomplete dir={} cause={}", dir, e.getMessage());
        }
        return out;
    }

    private static boolean copyOnWrite(Path dir) {
        try {
            return COPY_ON_WRITE.contains(Files.getFileStore(dir).type());
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Adds the shared physical byte ranges of {@code batch} to {@code shared} and returns the bytes of their unshared
     * extents (files filefrag could not map count their size).
     */
    private static long extents(List<Entry> batch, List<long[]> shared) {
        List<String> command = new ArrayList<>(List.of("filefrag", "-e"));
        batch.forEach(e -> command.add(e.path().toString()));
        Set<Path> mapped = new HashSet<>();
        long unshared = 0;
        try {
            Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor();
            long blockSize = 4096;
            for (String line : out.split("\n")) {
                Matcher h = HEADER.matcher(line);
                if (h.matches()) {
                    mapped.add(Path.of(h.group(1)));
                    blockSize = Long.parseLong(h.group(4));
                    continue;
                }
                Matcher x = EXTENT.matcher(line);
                if (!x.matches()) {
                    continue;
                }
                long length = Long.parseLong(x.group(3)) * blockSize;
                String flags = x.group(4);
                if (flags.contains("shared") && !flags.contains("unknown_loc")) {
                    long start = Long.parseLong(x.group(1)) * blockSize;
                    shared.add(new long[] {start, start + length});
                } else {
                    unshared += length;
                }
            }
        } catch (IOException e) {
            log.debug("filefrag unavailable, counting file sizes: {}", e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Entry e : batch) {
            if (!mapped.contains(e.path())) {
                unshared += e.size();
            }
        }
        return unshared;
    }

    /** Bytes covered by the union of half-open ranges. */
    static long union(List<long[]> ranges) {
        ranges.sort((a, b) -> Long.compare(a[0], b[0]));
        long total = 0;
        long start = -1;
        long end = -1;
        for (long[] r : ranges) {
            if (r[0] > end) {
                total += end - start;
                start = r[0];
                end = r[1];
            } else {
                end = Math.max(end, r[1]);
            }
        }
        return total + (end - start);
    }
}
