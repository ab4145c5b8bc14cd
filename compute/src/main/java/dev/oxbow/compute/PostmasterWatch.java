package dev.oxbow.compute;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.concurrent.TimeUnit;

/**
 * Wakes a start-up waiter when the data directory changes (the postmaster creates and rewrites
 * postmaster.pid: its pid first, the socket, then "ready"), through inotify instead of sleeping
 * between polls. A change the watch misses costs at most {@code recheckMillis}: the waiter re-reads
 * the lock file after every wake-up or timeout, so the watch only ever makes the answer come sooner.
 */
final class PostmasterWatch implements AutoCloseable {
    private final WatchService watch;

    private PostmasterWatch(WatchService watch) {
        this.watch = watch;
    }

    /** Registered before the postmaster is launched, so its first write is seen. Null if the directory cannot be watched. */
    static PostmasterWatch on(Path dataDir) {
        WatchService ws = null;
        try {
            ws = FileSystems.getDefault().newWatchService();
            dataDir.register(ws, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY);
            return new PostmasterWatch(ws);
        } catch (IOException | UnsupportedOperationException e) {
            closeQuietly(ws);
            return null;
        }
    }

    /** Returns after the next change in the directory, or after {@code recheckMillis}, whichever comes first. */
    void awaitChange(long recheckMillis) throws InterruptedException {
        WatchKey key = watch.poll(recheckMillis, TimeUnit.MILLISECONDS);
        if (key != null) {
            key.pollEvents();
            key.reset();
        }
    }

    @Override
    public void close() {
        closeQuietly(watch);
    }

    private static void closeQuietly(WatchService ws) {
        if (ws != null) {
            try {
                ws.close();
            } catch (IOException ignored) {
                // nothing held but the inotify descriptor
            }
        }
    }
}
