package dev.oxbow.compute;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Makes what was written under some directories durable with one {@code syncfs} per file system (coreutils
 * {@code sync -f}): on ext4 an fsync per file costs a journal commit each, seconds for a cluster's ~1,300 files, where
 * one syncfs flushes them all (and whatever else is dirty on that file system). Linux >= 5.8 reports write errors.
 */
public final class FileSystemSync {
    private FileSystemSync() {}

    /** Flushes the file systems holding {@code paths} (existing files or directories); fails if any write failed. */
    public static void syncfs(Path... paths) throws IOException {
        List<String> command = new ArrayList<>(List.of("sync", "-f", "--"));
        for (Path p : paths) {
            command.add(p.toAbsolutePath().toString());
        }
        Process sync = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(sync.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        try {
            if (sync.waitFor() != 0) {
                throw new IOException(String.join(" ", command) + " failed: " + out);
            }
        } catch (InterruptedException e) {
            sync.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while syncing " + List.of(paths), e);
        }
    }
}
